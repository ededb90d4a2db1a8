using System.CommandLine;
using System.Runtime.InteropServices;
using Doctor.Cli.Commands;

var root = new RootCommand("Doctor: fault management and maintenance for virtualised infrastructure");
root.Subcommands.Add(ServeCommand.Create());
foreach (var command in ClientCommands.Create())
    root.Subcommands.Add(command);
root.Subcommands.Add(ConsumerCommand.Create());
root.Subcommands.Add(MonitorCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(TestCommand.Create());
root.Subcommands.Add(BenchCommand.Create());

// SIGTERM (an init system's stop) ends the long-running commands as cleanly as Ctrl-C does; `serve` also has the
// host's own handling, which drains the engine and the store.
using var terminate = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    terminate.Cancel();
});
return await root.Parse(args).InvokeAsync(cancellationToken: terminate.Token);
