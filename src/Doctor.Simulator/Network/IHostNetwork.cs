using Doctor.Simulator.Monitoring;

namespace Doctor.Simulator.Network;

/// <summary>
/// The simulated hosts as a monitor sees them on the network, and the switch that takes one off it. The rig and the
/// fault test case only use this seam, so a host can be a loopback agent (<see cref="Cloud.HostAgents"/>) or a
/// network namespace behind a veth pair (<see cref="NamespaceHosts"/>).
/// </summary>
public interface IHostNetwork : IAsyncDisposable
{
    /// <summary>How a host fails: <c>agent</c> or <c>link</c>.</summary>
    string Kind { get; }

    /// <summary>Where the monitor knocks to see <paramref name="host"/> alive.</summary>
    ProbeTarget TargetOf(string host);

    /// <summary>Makes <paramref name="host"/> stop answering; returns once the failure is in place.</summary>
    Task FailAsync(string host, CancellationToken cancellationToken);

    /// <summary>Makes <paramref name="host"/> answer again.</summary>
    Task RecoverAsync(string host, CancellationToken cancellationToken);
}
