using System.Net;
using EdgeSync.Agent.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeSync.Agent.Hosting;

/// <summary>
/// Binds the agent's endpoints explicitly: cleartext sync URLs serve HTTP/2 only (h2c with prior knowledge, what
/// gRPC clients send), HTTP URLs serve HTTP/1.1, and https URLs both (ALPN). Kestrel cannot offer HTTP/1.1 and h2c on
/// one cleartext port (dotnet/aspnetcore#56984), hence two. Remembers the listen options to report bound ports.
/// With mutual TLS (<see cref="AgentOptions.Tls"/>) each https connection gets its options from
/// <see cref="FleetTls.ForServer"/> (the current certificate, so a rotated one is served without a restart): a client
/// certificate from the fleet CA is required on sync URLs and optional on HTTP URLs (probes, Prometheus, bearer tokens).
/// </summary>
internal sealed class KestrelBinding
{
    private readonly List<(ListenOptions Options, bool Tls)> _grpc = [];
    private readonly List<(ListenOptions Options, bool Tls)> _http = [];

    public void Bind(KestrelServerOptions kestrel, IReadOnlyList<string> grpcUrls, IReadOnlyList<string> httpUrls, bool mutualTls = false)
    {
        _grpc.Clear();
        _http.Clear();
        foreach (var url in grpcUrls)
        {
            var uri = new Uri(url);
            _grpc.Add((Listen(kestrel, uri, HttpProtocols.Http2, mutualTls, requireClientCertificate: true), uri.Scheme == Uri.UriSchemeHttps));
        }

        foreach (var url in httpUrls)
        {
            var uri = new Uri(url);
            _http.Add((Listen(kestrel, uri, HttpProtocols.Http1, mutualTls, requireClientCertificate: false), uri.Scheme == Uri.UriSchemeHttps));
        }
    }

    public AgentAddresses Addresses => new(_grpc.Select(Describe).ToList(), _http.Select(Describe).ToList());

    private static ListenOptions Listen(KestrelServerOptions kestrel, Uri uri, HttpProtocols cleartext, bool mutualTls, bool requireClientCertificate)
    {
        bool tls = uri.Scheme == Uri.UriSchemeHttps;
        ListenOptions? bound = null;
        void Configure(ListenOptions l)
        {
            bound = l;
            l.Protocols = tls ? HttpProtocols.Http1AndHttp2 : cleartext;
            if (tls && mutualTls)
            {
                l.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = c => ValueTask.FromResult(kestrel.ApplicationServices.GetRequiredService<AgentSecurity>().Tls!
                        .ForServer(requireClientCertificate, c.Connection.RemoteEndPoint?.ToString() ?? "?")),
                });
            }
            else if (tls)
            {
                l.UseHttps();
            }
        }

        string host = uri.Host.Trim('[', ']');
        if (host is "*" or "+" or "0.0.0.0")
        {
            kestrel.ListenAnyIP(uri.Port, Configure);
        }
        else if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            kestrel.Listen(IPAddress.Loopback, uri.Port, Configure);
        }
        else if (IPAddress.TryParse(host, out var ip))
        {
            kestrel.Listen(ip, uri.Port, Configure);
        }
        else
        {
            throw new ArgumentException($"listen URL '{uri}' must name an IP address, localhost, 0.0.0.0 or *");
        }

        return bound!;
    }

    private static string Describe((ListenOptions Options, bool Tls) l)
    {
        string scheme = l.Tls ? "https" : "http";
        var ep = l.Options.IPEndPoint!;
        string host = ep.Address.Equals(IPAddress.Any) || ep.Address.Equals(IPAddress.IPv6Any) ? "127.0.0.1"
            : ep.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ep.Address}]" : ep.Address.ToString();
        return $"{scheme}://{host}:{ep.Port}";
    }
}
