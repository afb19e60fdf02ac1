using System.CommandLine;
using System.Runtime.InteropServices;
using Pipeline.Cli;
using Pipeline.Cli.Commands;

var root = new RootCommand(
    "Streaming threat hunting for blockchain-based industrial and fleet networks. " +
    "Every command runs on the embedded default; set Kafka:BootstrapServers (or PIPELINE__Kafka__BootstrapServers) to use a real cluster.");

CliHost.AddGlobalOptions(root);

// One line per command family; each family lives in Commands/<Family>Commands.cs.
root.Subcommands.Add(UpCommands.Create());
root.Subcommands.Add(BrokerCommands.Create());
root.Subcommands.Add(FlCommands.Create());
root.Subcommands.Add(TopicsCommands.Create());
root.Subcommands.Add(LedgerCommands.Create());
root.Subcommands.Add(WhitelistCommands.Create());
root.Subcommands.Add(ProcessCommands.Create());
root.Subcommands.Add(ProduceCommands.Create());
root.Subcommands.Add(AlertsCommands.Create());
root.Subcommands.Add(EvaluateCommands.Create());
root.Subcommands.Add(StatusCommands.Create());
root.Subcommands.Add(DashboardCommands.Create());
root.Subcommands.Add(ChaincodeCommands.Create());

// Ctrl+C and SIGTERM cancel the running command's token and let it finish its own shutdown
// (flush producers, leave consumer groups, stop child processes) before the process exits.
using var stop = new CancellationTokenSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
var parse = root.Parse(args);
IDisposable? metrics;
try
{
    metrics = CliHost.StartMetricServer(parse);
}
catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException)
{
    return CliHost.Fail(e.Message);
}
using (metrics)
{
    return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, stop.Token);
}
