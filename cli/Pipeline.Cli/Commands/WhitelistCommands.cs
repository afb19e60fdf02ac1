using System.CommandLine;
using System.Text.Json;
using Pipeline.Chaincode;
using Pipeline.Ledger;

namespace Pipeline.Cli.Commands;

/// <summary>
/// <c>pipeline whitelist</c>: the whitelist contract's functions against a ledger data directory
/// (the peers are opened in this process, so <c>pipeline ledger up</c> must not be running on it).
/// </summary>
internal static class WhitelistCommands
{
    /// <summary>Exit code when the contract refuses a call or the ledger invalidates a transaction.</summary>
    public const int Refused = 1;

    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create() => new(
        "whitelist",
        "Manage the application whitelist on the ledger: SHA-256 assets of approved apps. Writes need role=admin (--as admin, the default).")
    {
        AddCommand(),
        ReadCommand(WhitelistFunctions.ReadAsset, "read", "Print an asset."),
        ReadCommand(WhitelistFunctions.AssetExists, "exists", "Print true or false."),
        UpdateCommand(),
        TransferCommand(),
        RevokeCommand(),
        ReadCommand(WhitelistFunctions.GetAssetHistory, "history", "Print every committed change of an asset (create, update, transfer, revoke)."),
        ListCommand(),
        VerifyCommand(),
        EnrollCommand(),
        ImportCommand(),
    };

    private static Command AddCommand()
    {
        var sha = ShaArgument();
        var app = Required("--app", "Application name.");
        var version = Required("--version", "Application version.");
        var platform = Required("--platform", "Platform, e.g. windows-x64.");
        var ownerRole = Required("--owner-role", "Ownership class: admin (only admins may run it) or user.");
        var ownerId = new Option<string?>("--owner-id") { Description = "Owner id (default: the ownership class)." };
        var approver = new Option<string?>("--approver") { Description = "Approver (default: the caller)." };
        var command = new Command("add", "Whitelist an application (CreateAsset). Fails if the hash exists.") { sha, app, version, platform, ownerRole, ownerId, approver };
        return Submit(command, parse => (WhitelistFunctions.CreateAsset,
            [parse.GetValue(sha)!, parse.GetValue(app)!, parse.GetValue(version)!, parse.GetValue(platform)!, parse.GetValue(ownerRole)!, parse.GetValue(ownerId) ?? "", parse.GetValue(approver) ?? ""]));
    }

    private static Command UpdateCommand()
    {
        var sha = ShaArgument();
        var app = Required("--app", "Application name.");
        var version = Required("--version", "Application version.");
        var platform = Required("--platform", "Platform.");
        var approver = new Option<string?>("--approver") { Description = "Approver (default: the caller)." };
        var command = new Command("update", "Change name, version and platform of an asset (ownership is kept).") { sha, app, version, platform, approver };
        return Submit(command, parse => (WhitelistFunctions.UpdateAsset,
            [parse.GetValue(sha)!, parse.GetValue(app)!, parse.GetValue(version)!, parse.GetValue(platform)!, parse.GetValue(approver) ?? ""]));
    }

    private static Command TransferCommand()
    {
        var sha = ShaArgument();
        var ownerRole = Required("--owner-role", "New ownership class: admin or user.");
        var ownerId = new Option<string?>("--owner-id") { Description = "New owner id (default: the ownership class)." };
        var command = new Command("transfer", "Change the owner of an asset; the previous owner stays in its history.") { sha, ownerRole, ownerId };
        return Submit(command, parse => (WhitelistFunctions.TransferAsset, [parse.GetValue(sha)!, parse.GetValue(ownerRole)!, parse.GetValue(ownerId) ?? ""]));
    }

    private static Command RevokeCommand()
    {
        var sha = ShaArgument();
        var reason = new Option<string?>("--reason") { Description = "Why (recorded in the revocation event)." };
        var command = new Command("revoke", "Revoke an asset (DeleteAsset); executions of it raise alerts from now on.") { sha, reason };
        return Submit(command, parse => (WhitelistFunctions.DeleteAsset, [parse.GetValue(sha)!, parse.GetValue(reason) ?? ""]));
    }

    private static Command EnrollCommand()
    {
        var endpoint = new Argument<string>("endpoint-id") { Description = "Endpoint id." };
        var organisation = Required("--organisation", "Organisation of the endpoint.");
        var platform = Required("--platform", "Platform of the endpoint.");
        var command = new Command("enroll", "Enroll an endpoint (EnrollEndpoint).") { endpoint, organisation, platform };
        return Submit(command, parse => (WhitelistFunctions.EnrollEndpoint, [parse.GetValue(endpoint)!, parse.GetValue(organisation)!, parse.GetValue(platform)!]));
    }

    private static Command ReadCommand(string function, string name, string description)
    {
        var sha = ShaArgument();
        var command = new Command(name, description) { sha };
        return Evaluate(command, parse => (function, [parse.GetValue(sha)!]));
    }

    private static Command ListCommand()
    {
        var pageSize = new Option<int>("--page-size") { Description = $"Assets per page (1..{WhitelistContract.MaxPageSize}).", DefaultValueFactory = _ => WhitelistContract.DefaultPageSize };
        var bookmark = new Option<string?>("--bookmark") { Description = "Bookmark printed by the previous page." };
        var command = new Command("list", "Print one page of assets in hash order, with the bookmark of the next page (GetAllAssets).") { pageSize, bookmark };
        return Evaluate(command, parse => (WhitelistFunctions.GetAllAssets,
            [parse.GetValue(pageSize).ToString(System.Globalization.CultureInfo.InvariantCulture), parse.GetValue(bookmark) ?? ""]));
    }

    private static Command VerifyCommand()
    {
        var hashes = new Argument<string[]>("sha256") { Description = "Executed hashes to check.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("verify", "Check executed hashes in one call (VerifyExecutions): exists, app name, ownership class.") { hashes };
        return Evaluate(command, parse => (WhitelistFunctions.VerifyExecutions, parse.GetValue(hashes)!));
    }

    private static Command ImportCommand()
    {
        var file = new Argument<FileInfo>("file") { Description = "Catalogue: {\"endpoints\":[...],\"apps\":[...]}, a JSON array of items, or JSON lines (see ledger/README.md)." };
        var concurrency = new Option<int>("--concurrency") { Description = "Transactions in flight at once.", DefaultValueFactory = _ => 64 };
        var identity = IdentityOptions.Create();
        var dataDir = LedgerCommands.DataDirOption();
        var command = new Command("import", "Enroll the endpoints and whitelist the apps of a catalogue file; items already on the ledger are skipped.")
        {
            file,
            concurrency,
            dataDir,
        };
        identity.AddTo(command);
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                return CliHost.Fail($"catalogue file {path.FullName} does not exist");
            }

            var inFlight = parse.GetValue(concurrency);
            if (inFlight is < 1 or > 4096)
            {
                return CliHost.Fail($"--concurrency must be 1..4096, got {inFlight}");
            }

            WhitelistCatalogue catalogue;
            try
            {
                catalogue = await WhitelistCatalogue.LoadAsync(path.FullName, cancellationToken).ConfigureAwait(false);
            }
            catch (CatalogueFormatException ex)
            {
                return CliHost.Fail($"{path.Name}: {ex.Message}");
            }

            return await WithNetworkAsync(parse, dataDir, async network =>
            {
                var summary = await WhitelistImporter.ImportAsync(network, catalogue, identity.Resolve(parse), inFlight, cancellationToken).ConfigureAwait(false);
                Console.WriteLine(
                    $"imported {path.Name}: {summary.EndpointsEnrolled} endpoints enrolled, {summary.AppsCreated} apps whitelisted, " +
                    $"{summary.AlreadyPresent} already present, {summary.Invalidated} invalidated; height {summary.Height}");
                return summary.Invalidated == 0 ? 0 : Refused;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Submit(Command command, Func<ParseResult, (string Function, string[] Args)> call) => Bind(command, call, submit: true);

    private static Command Evaluate(Command command, Func<ParseResult, (string Function, string[] Args)> call) => Bind(command, call, submit: false);

    private static Command Bind(Command command, Func<ParseResult, (string Function, string[] Args)> call, bool submit)
    {
        var identity = IdentityOptions.Create();
        var dataDir = LedgerCommands.DataDirOption();
        identity.AddTo(command);
        command.Options.Add(dataDir);
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var (function, args) = call(parse);
            var caller = identity.Resolve(parse);
            return await WithNetworkAsync(parse, dataDir, async network =>
            {
                try
                {
                    if (submit)
                    {
                        var result = await network.SubmitAsync(function, args, caller, cancellationToken).ConfigureAwait(false);
                        Console.Error.WriteLine($"tx {result.TxId} {result.Code} in block {result.BlockNumber}");
                        if (!result.IsValid)
                        {
                            return Refused;
                        }

                        PrintJson(result.Payload);
                    }
                    else
                    {
                        PrintJson(await network.EvaluateAsync(function, args, caller, cancellationToken).ConfigureAwait(false));
                    }

                    return 0;
                }
                catch (Exception ex) when (ex is ContractException or EndorsementException)
                {
                    var code = ex is ContractException c ? c.Code : ((EndorsementException)ex).Code;
                    Console.Error.WriteLine($"refused ({code}): {ex.Message}");
                    return Refused;
                }
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> WithNetworkAsync(ParseResult parse, Option<string?> dataDir, Func<LedgerNetwork, Task<int>> action)
    {
        var options = LedgerCommands.Options(parse, dataDir);
        var existing = LedgerNetwork.CountExistingPeers(options.DataDirectory);
        if (existing > 0)
        {
            options.Peers = existing;
        }

        LedgerNetwork network;
        try
        {
            network = await LedgerNetwork.StartAsync(options).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is LedgerCorruptionException or IOException or ArgumentException)
        {
            return LedgerCommands.OpenFailed(ex);
        }

        await using (network.ConfigureAwait(false))
        {
            return await action(network).ConfigureAwait(false);
        }
    }

    private static void PrintJson(byte[] payload)
    {
        using var doc = JsonDocument.Parse(payload);
        Console.WriteLine(JsonSerializer.Serialize(doc.RootElement, Pretty));
    }

    private static Argument<string> ShaArgument() => new("sha256") { Description = "SHA-256 of the executable (64 lower-case hex characters)." };

    private static Option<string> Required(string name, string description) => new(name) { Description = description, Required = true };

    /// <summary>--as, --user-id, --msp: who the CLI acts as.</summary>
    private sealed record IdentityOptions(Option<string> Role, Option<string?> UserId, Option<string> Msp)
    {
        public static IdentityOptions Create() => new(
            new Option<string>("--as") { Description = "Caller role: admin or user.", DefaultValueFactory = _ => OwnerRoles.Admin }
                .AcceptOnlyFromAmong(OwnerRoles.Admin, OwnerRoles.User),
            new Option<string?>("--user-id") { Description = "Caller id (default: cli-<role>)." },
            new Option<string>("--msp") { Description = "Caller MSP id.", DefaultValueFactory = _ => "Org1MSP" });

        public void AddTo(Command command)
        {
            command.Options.Add(Role);
            command.Options.Add(UserId);
            command.Options.Add(Msp);
        }

        public ClientIdentity Resolve(ParseResult parse)
        {
            var role = parse.GetValue(Role)!;
            var id = parse.GetValue(UserId) ?? "cli-" + role;
            var msp = parse.GetValue(Msp)!;
            return role == OwnerRoles.Admin ? ClientIdentity.Admin(id, msp) : ClientIdentity.User(id, msp);
        }
    }
}
