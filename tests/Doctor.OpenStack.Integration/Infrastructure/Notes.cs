using Xunit.Abstractions;
using Xunit.Sdk;

namespace Doctor.OpenStack.Integration.Infrastructure;

/// <summary>
/// Where a test writes what it measured: its own output (shown with the test's result) and the runner's diagnostic
/// messages, which <c>dotnet test</c> prints by default (xunit.runner.json), so CI's log carries the numbers of a passing
/// run too. Nothing here is asserted: the machine is shared and the numbers are for people.
/// </summary>
public sealed class Notes
{
    private static int _skipSaid;
    private readonly IMessageSink _sink;
    private ITestOutputHelper? _output;
    private string _scenario = "";

    public Notes(IMessageSink sink)
    {
        _sink = sink;
        // The runner lists skipped tests without their reason; say it once, where CI's log shows it.
        if (Aio.SkipReason is { } reason && Interlocked.Exchange(ref _skipSaid, 1) == 0)
            sink.OnMessage(new DiagnosticMessage($"[openstack] every OpenStack integration test is {reason}"));
    }

    /// <summary>Binds the notes to one test class's output.</summary>
    public Notes For(ITestOutputHelper output, string scenario)
    {
        _output = output;
        _scenario = scenario;
        return this;
    }

    public void Say(string line)
    {
        _output?.WriteLine(line);
        _sink.OnMessage(new DiagnosticMessage($"[openstack] {_scenario}: {line}"));
    }

    /// <summary>One measured duration, in milliseconds.</summary>
    public void Took(string what, TimeSpan elapsed) => Say($"{what}: {elapsed.TotalMilliseconds:0} ms");
}
