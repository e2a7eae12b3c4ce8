using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Protocol.V1;

namespace EdgeSync.Agent.Sync;

/// <summary>The messages of a <c>Converse</c> conversation, built the same way on both sides.</summary>
internal static class ConversationMessages
{
    /// <summary>This agent's hello: its site (<see cref="AgentOptions.Site"/>, else its first database's), cluster, role and protocol.</summary>
    public static ConversationHello Hello(DatabaseRegistry registry, AgentOptions options) => new()
    {
        SiteId = SiteOf(registry, options),
        ClusterId = options.ClusterId ?? "",
        ProtocolVersion = options.ProtocolVersion,
        Role = Wire.ToWire(options.EffectiveRole),
    };

    /// <summary>The site this agent names in a conversation's hello and headers ("" before it hosts any database).</summary>
    public static string SiteOf(DatabaseRegistry registry, AgentOptions options) =>
        !string.IsNullOrWhiteSpace(options.Site) ? options.Site : registry.All is [var first, ..] ? first.Site : "";

    /// <summary>Every database's vector (<c>full</c>), with <paramref name="hello"/> in a side's first message.</summary>
    public static ConversationMessage Full(IEnumerable<HostedDatabase> databases, ConversationHello? hello = null)
    {
        var message = new ConversationMessage { Hello = hello, Full = true };
        Add(message, databases);
        return message;
    }

    /// <summary>The vectors of the databases that moved; null when none of them is still open.</summary>
    public static ConversationMessage? Changes(IEnumerable<HostedDatabase> changed)
    {
        var message = new ConversationMessage();
        Add(message, changed);
        return message.Databases.Count == 0 ? null : message;
    }

    private static void Add(ConversationMessage message, IEnumerable<HostedDatabase> databases)
    {
        foreach (var db in databases)
        {
            if (db.TryVector() is not { } vector)
            {
                continue; // closed meanwhile: the next full list leaves it out
            }

            var entry = new DatabaseVector { Database = db.Name, SiteId = db.Site };
            Wire.CopyTo(vector, entry.Vector);
            if (db.Db.ExportedVector is { Count: > 0 } exported)
            {
                Wire.CopyTo(exported, entry.Exported);
            }

            entry.Disclaimed.AddRange(Wire.ToWire(db.Db.Disclaimed));
            message.Databases.Add(entry);
        }
    }
}
