using System.CommandLine;
using Pipeline.Ledger.Fabric.Chaincode;
using Pipeline.Platform;

namespace Pipeline.Cli.Commands;

/// <summary>
/// <c>pipeline chaincode</c>: the whitelist contract as Fabric chaincode-as-a-service — serve it over the
/// chaincode shim protocol, and write the ccaas package that <c>peer lifecycle chaincode install</c> takes.
/// </summary>
internal static class ChaincodeCommands
{
    public static Command Create() => new("chaincode", "The whitelist contract as Hyperledger Fabric chaincode-as-a-service (see ledger/README.md).")
    {
        ServeCommand(),
        PackageCommand(),
    };

    private static Command ServeCommand()
    {
        var address = new Option<string?>("--address")
        {
            Description = "HOST:PORT to listen on (default: $CHAINCODE_SERVER_ADDRESS, else Chaincode:Address, 0.0.0.0:9999).",
        };
        var id = new Option<string?>("--id")
        {
            Description = "Package id to register as (label:sha256, printed by `pipeline chaincode package`; default: $CHAINCODE_ID, else Chaincode:PackageId).",
        };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM server certificate: serve TLS (package with --tls-root-cert). Default: Chaincode:TlsCertificateFile." };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert. Default: Chaincode:TlsKeyFile." };
        var clientCa = new Option<string?>("--client-ca") { Description = "PEM CA the peers' client certificates must chain to (mutual TLS). Default: Chaincode:ClientCaFile." };
        var command = new Command(
            "serve",
            "Serve the whitelist contract on Fabric's chaincode shim protocol (gRPC protos.Chaincode/Connect, HTTP/2 without TLS unless --tls-cert) " +
            "until Ctrl+C. Fabric peers dial it using the address in the installed package's connection.json.")
        {
            address,
            id,
            tlsCert,
            tlsKey,
            clientCa,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var options = CliHost.Configuration(parse).Bind<ChaincodeServerOptions>(ChaincodeServerOptions.SectionName);
            options.Address = First(parse.GetValue(address), Environment.GetEnvironmentVariable("CHAINCODE_SERVER_ADDRESS"), options.Address)!;
            options.PackageId = First(parse.GetValue(id), Environment.GetEnvironmentVariable("CHAINCODE_ID"), options.PackageId) ?? string.Empty;
            options.TlsCertificateFile = First(parse.GetValue(tlsCert), options.TlsCertificateFile);
            options.TlsKeyFile = First(parse.GetValue(tlsKey), options.TlsKeyFile);
            options.ClientCaFile = First(parse.GetValue(clientCa), options.ClientCaFile);
            using var logging = CliHost.Logging();
            ChaincodeServer server;
            try
            {
                server = await ChaincodeServer.StartAsync(options, loggerFactory: logging, cancellationToken: cancellationToken);
            }
            catch (ArgumentException ex)
            {
                return CliHost.Fail(ex.Message);
            }
            catch (IOException ex)
            {
                return CliHost.Fail($"cannot listen on {options.Address}: {ex.Message}");
            }

            await using (server)
            {
                Console.WriteLine($"chaincode: {options.PackageId} on {server.Address} ({(options.TlsEnabled ? "TLS" : "h2c")}); Ctrl+C stops");
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                }
            }

            return 0;
        });
        return command;
    }

    private static Command PackageCommand()
    {
        var address = new Option<string>("--address")
        {
            Description = "HOST:PORT where peers reach the chaincode server, as written into connection.json (e.g. whitelist-cc:9999).",
            Required = true,
        };
        var label = new Option<string>("--label") { Description = "Package label (letters, digits, '_', '.', '+', '-').", DefaultValueFactory = _ => "whitelist_1.0" };
        var output = new Option<string>("--output") { Description = "Package file to write.", DefaultValueFactory = _ => "whitelist.tgz" };
        var dialTimeout = new Option<string>("--dial-timeout") { Description = "How long the peer waits to connect (Go duration).", DefaultValueFactory = _ => "10s" };
        var rootCert = new Option<string?>("--tls-root-cert") { Description = "PEM CA of the chaincode server's TLS certificate: sets tls_required and root_cert." };
        var clientCert = new Option<string?>("--client-cert") { Description = "PEM client certificate the peer presents (mutual TLS; needs --tls-root-cert and --client-key)." };
        var clientKey = new Option<string?>("--client-key") { Description = "PEM private key of --client-cert." };
        var command = new Command(
            "package",
            "Write Fabric's chaincode-as-a-service package (metadata.json {type: ccaas, label} + code.tar.gz holding connection.json) " +
            "for `peer lifecycle chaincode install`, and print its package id (label:sha256 of the file) on stdout. " +
            "The file is deterministic: the same address and label always give the same id.")
        {
            address,
            label,
            output,
            dialTimeout,
            rootCert,
            clientCert,
            clientKey,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var labelValue = parse.GetValue(label)!;
            var path = parse.GetValue(output)!;
            ChaincodeConnection connection;
            byte[] package;
            try
            {
                var root = await ReadPemAsync(parse.GetValue(rootCert), "--tls-root-cert", cancellationToken);
                var cert = await ReadPemAsync(parse.GetValue(clientCert), "--client-cert", cancellationToken);
                var key = await ReadPemAsync(parse.GetValue(clientKey), "--client-key", cancellationToken);
                if ((cert.Length > 0 || key.Length > 0) && (cert.Length == 0 || key.Length == 0 || root.Length == 0))
                {
                    return CliHost.Fail("mutual TLS needs --client-cert, --client-key and --tls-root-cert together");
                }

                connection = new ChaincodeConnection
                {
                    Address = parse.GetValue(address)!,
                    DialTimeout = parse.GetValue(dialTimeout)!,
                    TlsRequired = root.Length > 0,
                    ClientAuthRequired = cert.Length > 0,
                    RootCert = root,
                    ClientCert = cert,
                    ClientKey = key,
                };
                package = ChaincodePackage.Create(connection, labelValue);
            }
            catch (ArgumentException ex)
            {
                return CliHost.Fail(ex.Message);
            }
            catch (IOException ex)
            {
                return CliHost.Fail(ex.Message);
            }

            try
            {
                var directory = Path.GetDirectoryName(Path.GetFullPath(path));
                if (!string.IsNullOrEmpty(directory))
                {
                    Directory.CreateDirectory(directory);
                }

                await File.WriteAllBytesAsync(path, package, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return CliHost.Fail($"cannot write {path}: {ex.Message}");
            }

            Console.Error.WriteLine($"wrote {path} ({package.Length} bytes): ccaas package '{labelValue}' for a chaincode server at {connection.Address}{(connection.TlsRequired ? " (TLS)" : string.Empty)}");
            Console.WriteLine(ChaincodePackage.PackageId(labelValue, package));
            return 0;
        });
        return command;
    }

    private static async Task<string> ReadPemAsync(string? path, string option, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return string.Empty;
        }

        if (!File.Exists(path))
        {
            throw new IOException($"{option} {path}: file not found");
        }

        var text = await File.ReadAllTextAsync(path, cancellationToken);
        return text.Contains("-----BEGIN ", StringComparison.Ordinal)
            ? text
            : throw new ArgumentException($"{option} {path} is not a PEM file");
    }

    private static string? First(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}
