using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using EdgeSync.Agent.Security;
using EdgeSync.Cli.Certs;
using EdgeSync.Cli.Internal;

namespace EdgeSync.Cli.Commands;

/// <summary>
/// <c>edgesync certs</c>: a development CA, site certificates and bearer tokens for demos and tests. In Kubernetes use
/// cert-manager (or your PKI) with the same names instead: see docs/deploy.md.
/// </summary>
internal static class CertsCommand
{
    public static Command Create(CliContext context) => new("certs",
        "Development certificates for mutual TLS between agents: a CA, site certificates it signs, bearer tokens. "
        + "Production fleets use cert-manager with the same file names (tls.crt, tls.key, ca.crt).")
    {
        Authority(context),
        Site(context),
        Token(context),
    };

    private static Option<bool> Force() => new("--force") { Description = "Replace files that already exist." };

    private static Option<int> Days(int defaultDays) =>
        CommonOptions.Integer("--days", $"Validity in days (default {defaultDays}).", "N", defaultDays, 1, 36_500);

    private static Command Authority(CliContext context)
    {
        var output = new Option<string>("--out") { Description = "Folder to write ca.crt and ca.key (mode 0600) into.", HelpName = "DIR", Required = true };
        var name = new Option<string>("--name")
        {
            Description = "The CA's common name.",
            HelpName = "NAME",
            DefaultValueFactory = _ => "EdgeSync development CA",
        };
        var days = Days(3650);
        var force = Force();
        var command = new Command("ca", "Create a development certificate authority (ECDSA P-256): DIR/ca.crt and DIR/ca.key.")
        {
            output, name, days, force,
        };
        command.SetAction(parsed =>
        {
            string dir = parsed.GetRequiredValue(output);
            int validity = parsed.GetValue(days);
            CertificateFiles.CheckWritable(dir, parsed.GetValue(force), CertificateFiles.CaCert, CertificateFiles.CaKey);
            using var ca = DevCertificates.CreateAuthority(parsed.GetRequiredValue(name), validity);
            CertificateFiles.Write(dir, CertificateFiles.CaCert, DevCertificates.CertificatePem(ca), secret: false);
            string key = CertificateFiles.Write(dir, CertificateFiles.CaKey, DevCertificates.PrivateKeyPem(ca), secret: true);
            context.Out.WriteLine($"created CA '{ca.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false)}' in {dir} "
                + $"(valid until {ca.NotAfter.ToUniversalTime():yyyy-MM-dd}); keep {key} secret");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Site(CliContext context)
    {
        var ca = new Option<string>("--ca") { Description = "The CA folder (from 'edgesync certs ca').", HelpName = "DIR", Required = true };
        var site = new Option<string>("--site")
        {
            Description = "CLUSTER/REPLICA for one site (it also covers the site's restored incarnations ~N), or CLUSTER for every site of a cluster "
                + "(one Secret shared by a StatefulSet's replicas).",
            HelpName = "ID",
            Required = true,
        };
        var output = new Option<string>("--out") { Description = "Folder to write tls.crt, tls.key (mode 0600) and ca.crt into.", HelpName = "DIR", Required = true };
        var dns = new Option<string[]>("--dns") { Description = "A DNS name peers dial this site by (repeatable; localhost is always added).", HelpName = "NAME" };
        var ip = new Option<string[]>("--ip") { Description = "An IP address peers dial this site by (repeatable; 127.0.0.1 is always added).", HelpName = "ADDR" };
        var days = Days(365);
        var force = Force();
        var command = new Command("site", "Create a site certificate signed by the CA (server and client authentication, SAN URI "
            + $"{SiteCertificate.Prefix}site/CLUSTER/REPLICA or {SiteCertificate.Prefix}cluster/CLUSTER): DIR/tls.crt, DIR/tls.key, DIR/ca.crt.")
        {
            ca, site, output, dns, ip, days, force,
        };
        command.SetAction(parsed =>
        {
            string id = parsed.GetRequiredValue(site);
            if (SiteCertificate.Parse(id) is null)
            {
                throw new CliException(ExitCodes.UsageError,
                    $"--site '{id}' is not CLUSTER/REPLICA or CLUSTER (letters, digits, '-', '_', '.'; e.g. factory-001/sqlite-edge-0)");
            }

            var names = (parsed.GetValue(dns) ?? []).Prepend("localhost").ToList();
            var addresses = (parsed.GetValue(ip) ?? []).Select(ParseAddress).Prepend(IPAddress.Loopback).ToList();
            int validity = parsed.GetValue(days);
            string dir = parsed.GetRequiredValue(output);
            CertificateFiles.CheckWritable(dir, parsed.GetValue(force), CertificateFiles.TlsCert, CertificateFiles.TlsKey);
            using var authority = CertificateFiles.ReadAuthority(parsed.GetRequiredValue(ca));
            System.Security.Cryptography.X509Certificates.X509Certificate2 certificate;
            try
            {
                certificate = DevCertificates.CreateSite(authority, id, names, addresses, validity);
            }
            catch (ArgumentException e)
            {
                throw new CliException(ExitCodes.UsageError, e.Message);
            }

            using (certificate)
            {
                CertificateFiles.Write(dir, CertificateFiles.TlsCert, DevCertificates.CertificatePem(certificate), secret: false);
                CertificateFiles.Write(dir, CertificateFiles.TlsKey, DevCertificates.PrivateKeyPem(certificate), secret: true);
                CertificateFiles.Write(dir, CertificateFiles.CaCert, DevCertificates.CertificatePem(authority), secret: false);
                context.Out.WriteLine($"created certificate for {SiteCertificate.Parse(id)} in {dir} ({SiteCertificate.Parse(id)!.ToUri()}, "
                    + $"DNS {string.Join(",", names.Distinct(StringComparer.OrdinalIgnoreCase))}, IP {string.Join(",", addresses.Distinct())}, "
                    + $"valid until {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd})");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Token(CliContext context)
    {
        var output = new Option<string>("--out") { Description = "The file to write the token into (mode 0600).", HelpName = "FILE", Required = true };
        var force = Force();
        var command = new Command("token", "Write a random bearer token (256 bits, base64url) for EdgeSync:Auth:TokenFile (--token-file).")
        {
            output, force,
        };
        command.SetAction(parsed =>
        {
            string path = Path.GetFullPath(parsed.GetRequiredValue(output));
            string dir = Path.GetDirectoryName(path)!;
            CertificateFiles.CheckWritable(dir, parsed.GetValue(force), Path.GetFileName(path));
            string token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            CertificateFiles.Write(dir, Path.GetFileName(path), token + "\n", secret: true);
            context.Out.WriteLine($"wrote a bearer token to {path}; clients send 'Authorization: Bearer <its content>'");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static IPAddress ParseAddress(string value) =>
        IPAddress.TryParse(value, out var address) ? address : throw new CliException(ExitCodes.UsageError, $"--ip '{value}' is not an IP address");
}
