using System.CommandLine;
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
return await root.Parse(args).InvokeAsync();
