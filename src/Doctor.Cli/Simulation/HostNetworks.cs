using Doctor.Simulator.Cloud;
using Doctor.Simulator.Network;

namespace Doctor.Cli.Simulation;

/// <summary>The ways <c>doctor test fault --inject</c> can fail a host, by name.</summary>
public static class HostNetworks
{
    public const string Agent = "agent";
    public const string Link = "link";

    public static Func<IReadOnlyList<string>, CancellationToken, Task<IHostNetwork>> Factory(string inject) => inject switch
    {
        Agent => (hosts, _) => Task.FromResult<IHostNetwork>(new HostAgents(hosts)),
        Link => async (hosts, cancellationToken) => await NamespaceHosts.CreateAsync(hosts, TimeProvider.System, cancellationToken),
        _ => throw new ArgumentException($"unknown --inject {inject}: use {Agent} or {Link}", nameof(inject)),
    };
}
