namespace EdgeSync.Internal;

/// <summary>Tags of the five SQLite storage classes in EdgeSync's binary encodings.</summary>
internal static class ValueTag
{
    public const byte Null = 0;
    public const byte Integer = 1;
    public const byte Real = 2;
    public const byte Text = 3;
    public const byte Blob = 4;
}
