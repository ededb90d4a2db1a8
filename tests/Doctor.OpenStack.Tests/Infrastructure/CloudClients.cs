using Doctor.OpenStack.Actions;
using Doctor.OpenStack.Keystone;
using Doctor.OpenStack.Neutron;
using Doctor.OpenStack.Nova;
using Microsoft.Extensions.Logging.Abstractions;

namespace Doctor.OpenStack.Tests.Infrastructure;

/// <summary>Doctor's clients of one <see cref="FakeCloud"/>, as OpenStack mode wires them (one HTTP client, one session).</summary>
public sealed class CloudClients : IAsyncDisposable
{
    private readonly Lazy<ActionRunner> _runner;

    public CloudClients(FakeCloud cloud, Action<OpenStackOptions>? configure = null, TimeProvider? time = null)
    {
        Time = time ?? cloud.Time;
        Options = Settings(cloud, configure);
        Http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };
        Session = new KeystoneSession(Http, Options, Time, NullLogger<KeystoneSession>.Instance);
        Nova = new NovaClient(Http, Session, Options);
        Neutron = new NeutronClient(Http, Session, Options);
        Tokens = new KeystoneTokens(Http, Session, Options, Time, NullLogger<KeystoneTokens>.Instance);
        _runner = new Lazy<ActionRunner>(() => new ActionRunner(Nova, Neutron, Options, Time, NullLogger<ActionRunner>.Instance));
    }

    public TimeProvider Time { get; }
    public OpenStackOptions Options { get; }
    public HttpClient Http { get; }
    public KeystoneSession Session { get; }
    public NovaClient Nova { get; }
    public NeutronClient Neutron { get; }
    public KeystoneTokens Tokens { get; }

    /// <summary>Created on first use, so a test can still change <see cref="Options"/> before.</summary>
    public ActionRunner Runner => _runner.Value;

    /// <summary>Settings of a Doctor pointed at <paramref name="cloud"/>, with short timeouts.</summary>
    public static OpenStackOptions Settings(FakeCloud cloud, Action<OpenStackOptions>? configure = null)
    {
        var options = new OpenStackOptions
        {
            AuthUrl = cloud.AuthUrl,
            Username = FakeCloud.ServiceUser,
            Password = FakeCloud.ServicePassword,
            ProjectName = FakeCloud.ServiceProject,
            CallTimeoutSeconds = 5,
        };
        configure?.Invoke(options);
        return options;
    }

    public async ValueTask DisposeAsync()
    {
        if (_runner.IsValueCreated)
            await _runner.Value.DisposeAsync();
        Http.Dispose();
    }
}
