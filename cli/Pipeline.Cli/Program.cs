using System.CommandLine;
using Pipeline.Cli;
using Pipeline.Cli.Commands;

var root = new RootCommand(
    "Streaming threat hunting for blockchain-based industrial and fleet networks. " +
    "Every command runs on the embedded default; set Kafka:BootstrapServers (or PIPELINE__Kafka__BootstrapServers) to use a real cluster.");

CliHost.AddGlobalOptions(root);

// One line per command family; each family lives in Commands/<Family>Commands.cs.
root.Subcommands.Add(BrokerCommands.Create());
root.Subcommands.Add(TopicsCommands.Create());
root.Subcommands.Add(LedgerCommands.Create());
root.Subcommands.Add(WhitelistCommands.Create());
root.Subcommands.Add(ProduceCommands.Create());

return await root.Parse(args).InvokeAsync();
