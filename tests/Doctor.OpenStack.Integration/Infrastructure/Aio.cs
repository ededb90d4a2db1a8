using System.Net.Sockets;

namespace Doctor.OpenStack.Integration.Infrastructure;

/// <summary>
/// The OpenStack all-in-one of <c>scripts/openstack-aio.sh</c>: where its APIs listen, its users, and whether it is there
/// at all. Everything is on 127.0.0.1.
/// </summary>
public static class Aio
{
    public const string Keystone = "http://127.0.0.1:5000/v3";
    public const string Nova = "http://127.0.0.1:8774/v2.1";
    public const string Neutron = "http://127.0.0.1:9696/v2.0";
    public const string Glance = "http://127.0.0.1:9292/v2";
    public const string Aodh = "http://127.0.0.1:8042/v2";
    public const string TransportUrl = "rabbit://openstack:rabbitpw@127.0.0.1:5672/";
    public const string Network = "doctor-net";
    public const string Image = "fake-image";
    public const string Flavor = "1";

    /// <summary>The only hosts this suite may place servers on, force down or restart: fake-host-3..5 belong to the
    /// benchmark and the maintenance tests, which may run at the same time on the same cloud.</summary>
    public const string Host1 = "fake-host-1";

    public const string Host2 = "fake-host-2";

    /// <summary>Every name this suite gives a server, port or alarm starts with this, so leftovers of a run that died are
    /// recognisable (and removed by the next run's setup).</summary>
    public const string NamePrefix = "osint-";

    /// <summary>State, logs and pidfiles of the AIO (the script's <c>AIO_DIR</c>).</summary>
    public static string Dir => Environment.GetEnvironmentVariable("AIO_DIR") is { Length: > 0 } dir ? dir : "/var/tmp/aio";

    /// <summary>Set by test.sh after <c>openstack-aio.sh ensure</c>: <c>ready</c>, or <c>unavailable: why</c> when the
    /// packages could not be installed (then the suite is skipped, saying why).</summary>
    public const string Variable = "DOCTOR_OPENSTACK_AIO";

    public static readonly User Admin = new("admin", "adminpw", "admin");
    public static readonly User AdminInDemo = new("admin", "adminpw", "demo");
    public static readonly User AdminInDemo2 = new("admin", "adminpw", "demo2");
    public static readonly User Demo = new("demo", "demopw", "demo");
    public static readonly User Demo2 = new("demo2", "demo2pw", "demo2");

    private static readonly Lazy<string?> Unavailable = new(Probe);

    /// <summary>Why the suite cannot run here (the skip reason), or null when the AIO is there.</summary>
    public static string? SkipReason => Unavailable.Value;

    private static string? Probe()
    {
        var said = Environment.GetEnvironmentVariable(Variable);
        if (said is { Length: > 0 } && !said.Equals("ready", StringComparison.OrdinalIgnoreCase))
            return $"SKIPPED: the OpenStack AIO is not available on this machine ({said}); test.sh ran `scripts/openstack-aio.sh ensure`";
        if (said is { Length: > 0 })
            return null; // test.sh started it: from here on a missing service is a failure, not a skip

        // Run by hand (dotnet test): use the AIO when Keystone answers; otherwise say how to get one.
        try
        {
            using var tcp = new TcpClient();
            if (!tcp.ConnectAsync("127.0.0.1", 5000).Wait(TimeSpan.FromSeconds(3)))
                return "SKIPPED: no Keystone on 127.0.0.1:5000 within 3 s; start the OpenStack AIO with `sudo scripts/openstack-aio.sh ensure`";
            return null;
        }
        catch (AggregateException ex) when (ex.InnerException is SocketException socket)
        {
            return $"SKIPPED: no Keystone on 127.0.0.1:5000 ({socket.SocketErrorCode}); start the OpenStack AIO with `sudo scripts/openstack-aio.sh ensure`";
        }
    }
}

/// <summary>A Keystone user with the project its tokens are scoped to.</summary>
public sealed record User(string Name, string Password, string Project);

/// <summary>
/// A fact that needs the OpenStack AIO: reported as skipped, with the reason, where the AIO could not be installed (the
/// runner prints skip reasons, and test.sh prints one line saying so), so a machine without it neither fails nor
/// silently passes these tests.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OpenStackFactAttribute : FactAttribute
{
    public OpenStackFactAttribute()
    {
        if (Aio.SkipReason is { } reason)
            Skip = reason;
    }
}
