using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Doctor.Testing;
using RabbitMQ.Client;

namespace Doctor.OpenStack.Tests.Infrastructure;

/// <summary>
/// A RabbitMQ node of the test's own, from the installed Debian <c>rabbitmq-server</c>: a temp directory for its data, logs
/// and configuration, a unique node name, free loopback ports for AMQP, Erlang distribution and its own epmd, no plugins.
/// Nothing of the machine's shared node is used or touched: not its env file (<c>/etc/rabbitmq/rabbitmq-env.conf</c> names
/// <c>rabbit@localhost</c> and port 5672), not its configuration, not its epmd (which <c>scripts/openstack-aio.sh stop</c>
/// kills with its node: a private node registered there would become unreachable for <c>rabbitmqctl</c>).
/// <para>
/// Run as root, <c>/usr/sbin/rabbitmq-server</c> switches to the user <c>rabbitmq</c> (so the directory is given to it, and
/// its <c>rabbitmqctl</c> and the node share <c>/var/lib/rabbitmq/.erlang.cookie</c>); run as anyone else, the scripts in
/// <c>/usr/lib/rabbitmq/bin</c> are used directly with the temp directory as home (where Erlang creates the cookie).
/// </para>
/// </summary>
public sealed class PrivateBroker : IAsyncDisposable
{
    public const string DebianServer = "/usr/sbin/rabbitmq-server";
    private const string ScriptsDir = "/usr/lib/rabbitmq/bin";
    private static readonly TimeSpan CommandLimit = TimeSpan.FromSeconds(60);

    private static readonly bool AsRoot = Environment.UserName == "root";
    private readonly TempDirectory _dir = new();
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);
    private readonly StringBuilder _output = new();
    private Process? _epmd;
    private Process? _server;

    private PrivateBroker()
    {
        Node = $"doctortest-{Guid.NewGuid():N}"[..23] + "@localhost";
        Port = FreePort.Next();
    }

    /// <summary>Why the broker cannot run here (the skip reason of <see cref="BrokerFactAttribute"/>), or null.</summary>
    public static string? SkipReason =>
        File.Exists(AsRoot ? DebianServer : Path.Combine(ScriptsDir, "rabbitmq-server")) && Epmd() is not null
            ? null
            : $"SKIPPED: RabbitMQ is not installed ({DebianServer} or epmd missing); install the Debian package rabbitmq-server to run the broker tests";

    public string Node { get; }

    /// <summary>The AMQP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>An oslo.messaging transport URL of this broker (RabbitMQ's default user, allowed on loopback).</summary>
    public string TransportUrl => $"rabbit://guest:guest@127.0.0.1:{Port}/";

    /// <summary>
    /// Starts the node and waits (bounded) until it accepts connections. <paramref name="durableBindings"/>: queues (durable)
    /// bound to topic exchanges (non-durable, as oslo.messaging declares them), imported as definitions at every start of the
    /// app, before its listener opens. A non-durable exchange and its bindings do not survive <see cref="StopAppAsync"/>; a
    /// consumer of the cloud's bus binds again when it reconnects, and the import stands for that, without a race against
    /// the client under test reconnecting first.
    /// </summary>
    public static Task<PrivateBroker> StartAsync(params (string Exchange, string Queue, string RoutingKey)[] durableBindings) =>
        StartAsync(new BrokerConfig(), durableBindings);

    /// <param name="config">Lines added to the node's <c>rabbitmq.conf</c> and its <c>advanced.config</c> (Erlang terms), for
    /// a test that needs the broker to behave otherwise than by default (e.g. a short <c>consumer_timeout</c>).</param>
    public static async Task<PrivateBroker> StartAsync(BrokerConfig config, params (string Exchange, string Queue, string RoutingKey)[] durableBindings)
    {
        // A node that exits at once is most often a free port taken between choosing it and binding it (two test classes
        // start brokers side by side); a new node, with new ports, is tried then — at most three, each bounded.
        for (var attempt = 1; ; attempt++)
        {
            var broker = new PrivateBroker();
            try
            {
                await broker.StartNodeAsync(config, durableBindings);
                return broker;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                await broker.DisposeAsync();
            }
            catch
            {
                await broker.DisposeAsync();
                throw;
            }
        }
    }

    private async Task StartNodeAsync(BrokerConfig config, (string Exchange, string Queue, string RoutingKey)[] bindings)
    {
        var dir = _dir.Path;
        var epmdPort = FreePort.Next();
        File.WriteAllText(Path.Combine(dir, "enabled_plugins"), "[].\n"); // no management plugin: no port 15672 to clash
        File.WriteAllText(Path.Combine(dir, "rabbitmq-env.conf"), "# empty: keeps /etc/rabbitmq/rabbitmq-env.conf (the shared node's) out\n");
        File.WriteAllText(Path.Combine(dir, "definitions.json"), Definitions(bindings));
        File.WriteAllText(Path.Combine(dir, "rabbitmq.conf"), $"load_definitions = {Path.Combine(dir, "definitions.json")}\n{config.Conf}\n");
        if (config.Advanced is { } advanced)
            File.WriteAllText(Path.Combine(dir, "advanced.config"), advanced);
        foreach (var (name, value) in new Dictionary<string, string>
        {
            ["RABBITMQ_NODENAME"] = Node,
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(dir, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(dir, "log"),
            ["RABBITMQ_PID_FILE"] = Path.Combine(dir, "rabbitmq.pid"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(dir, "enabled_plugins"),
            ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(dir, "rabbitmq-env.conf"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(dir, "rabbitmq.conf"),
            ["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(dir, "advanced.config"), // absent unless asked for: not /etc/rabbitmq's
            ["ERL_EPMD_PORT"] = epmdPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
        })
        {
            _environment[name] = value;
        }

        if (AsRoot)
        {
            await RunAsync("chown", ["-R", "rabbitmq:", dir], CommandLimit);
        }
        else
        {
            // The node and rabbitmqctl must share a cookie; written before either starts, so neither creates its own.
            _environment["HOME"] = dir;
            var cookie = Path.Combine(dir, ".erlang.cookie");
            File.WriteAllText(cookie, Convert.ToHexString(RandomNumberGenerator.GetBytes(20)));
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(cookie, UnixFileMode.UserRead); // Erlang refuses a cookie others can read
        }

        // Started here (not daemonized by the node), so it is this broker's child and is stopped with it.
        _epmd = Spawn(Epmd()!, ["-port", _environment["ERL_EPMD_PORT"], "-address", "127.0.0.1"]);
        _server = Spawn(AsRoot ? DebianServer : Path.Combine(ScriptsDir, "rabbitmq-server"), []);
        await AwaitStartupAsync();
    }

    /// <summary>Stops the RabbitMQ application, leaving the Erlang node up: every connection is closed and the listener too,
    /// as in a broker restart. Durable queues and their messages stay.</summary>
    public Task StopAppAsync() => CtlAsync("stop_app");

    /// <summary>Starts the application again; returns once it accepts connections.</summary>
    public async Task StartAppAsync()
    {
        await CtlAsync("start_app");
        await CtlAsync("await_startup", "--timeout", "60");
    }

    /// <summary>A connection of the test's own (no recovery: the test decides when to connect).</summary>
    public Task<IConnection> ConnectAsync() =>
        new ConnectionFactory { HostName = "127.0.0.1", Port = Port, UserName = "guest", Password = "guest", AutomaticRecoveryEnabled = false }
            .CreateConnectionAsync("doctor-broker-test");

    /// <summary>What went wrong, for a failing test: the tail of the node's output and log.</summary>
    public string Diagnostics()
    {
        var log = Path.Combine(_dir.Path, "log", Node + ".log");
        string tail;
        try
        {
            tail = File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(30)) : "(no log)";
        }
        catch (IOException ex)
        {
            tail = "(log unreadable: " + ex.Message + ")";
        }

        lock (_output)
            return $"node {Node} on 127.0.0.1:{Port}\n--- output ---\n{_output}\n--- log ---\n{tail}";
    }

    private async Task AwaitStartupAsync()
    {
        // await_startup needs the node to be reachable; until its distribution is up it fails at once, so it is asked again
        // (each call starts an Erlang VM: every 0.5 s, not in a tight loop). Bounded like every wait here.
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_server!.HasExited)
                throw new InvalidOperationException($"rabbitmq-server exited with {_server.ExitCode} before it was ready\n{Diagnostics()}");
            var (code, output, _) = await RunAsync(Ctl(), ["-n", Node, "-q", "await_startup", "--timeout", "60"], CommandLimit + TimeSpan.FromSeconds(10), check: false);
            if (code == 0)
                return;
            if (deadline.Elapsed > CommandLimit)
                throw new TimeoutException($"the private RabbitMQ was not ready within {CommandLimit.TotalSeconds} s: {output}\n{Diagnostics()}");
            await Task.Delay(500);
        }
    }

    /// <summary>Runs <c>rabbitmqctl -n {node} -q {arguments}</c> (bounded); returns what it wrote to stdout, throws (with its
    /// output) when it fails.</summary>
    public async Task<string> CtlAsync(params string[] arguments) =>
        (await RunAsync(Ctl(), ["-n", Node, "-q", .. arguments], CommandLimit + TimeSpan.FromSeconds(10))).StdOut;

    private static string Ctl() => AsRoot ? "/usr/sbin/rabbitmqctl" : Path.Combine(ScriptsDir, "rabbitmqctl");

    private static string? Epmd() =>
        new[] { "/usr/bin/epmd", "/usr/local/bin/epmd" }.FirstOrDefault(File.Exists)
        ?? (Directory.Exists("/usr/lib/erlang") ? Directory.GetFiles("/usr/lib/erlang", "epmd", SearchOption.AllDirectories).FirstOrDefault() : null);

    private Process Spawn(string file, string[] arguments)
    {
        var start = Start(file, arguments);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (_output)
        {
            if (_output.Length < 64_000)
                _output.AppendLine(line);
        }
    }

    private ProcessStartInfo Start(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in _environment)
            start.Environment[name] = value;
        return start;
    }

    /// <summary>Runs a command (bounded); <c>Output</c> is what it wrote to stdout and stderr, <c>StdOut</c> stdout alone.</summary>
    private async Task<(int Code, string Output, string StdOut)> RunAsync(string file, string[] arguments, TimeSpan limit, bool check = true)
    {
        using var process = Process.Start(Start(file, arguments))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {limit.TotalSeconds} s");
        }

        var text = (await output) + (await error);
        if (check && process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {text}\n{Diagnostics()}");
        return (process.ExitCode, text, await output);
    }

    /// <summary>The definitions imported at each start: the default user (not created when definitions are configured) and
    /// the durable bindings asked for.</summary>
    private static string Definitions((string Exchange, string Queue, string RoutingKey)[] bindings)
    {
        // RabbitMQ's rabbit_password_hashing_sha256: base64(salt ++ sha256(salt ++ password)), 4 bytes of salt.
        var salt = RandomNumberGenerator.GetBytes(4);
        var hash = Convert.ToBase64String([.. salt, .. SHA256.HashData([.. salt, .. "guest"u8])]);
        var exchanges = new JsonArray();
        foreach (var exchange in bindings.Select(b => b.Exchange).Distinct(StringComparer.Ordinal))
            exchanges.Add(new JsonObject { ["name"] = exchange, ["vhost"] = "/", ["type"] = "topic", ["durable"] = false, ["auto_delete"] = false, ["internal"] = false, ["arguments"] = new JsonObject() });
        var queues = new JsonArray();
        foreach (var queue in bindings.Select(b => b.Queue).Distinct(StringComparer.Ordinal))
            queues.Add(new JsonObject { ["name"] = queue, ["vhost"] = "/", ["durable"] = true, ["auto_delete"] = false, ["arguments"] = new JsonObject() });
        var edges = new JsonArray();
        foreach (var (exchange, queue, key) in bindings)
            edges.Add(new JsonObject { ["source"] = exchange, ["vhost"] = "/", ["destination"] = queue, ["destination_type"] = "queue", ["routing_key"] = key, ["arguments"] = new JsonObject() });
        return new JsonObject
        {
            ["users"] = new JsonArray(new JsonObject { ["name"] = "guest", ["password_hash"] = hash, ["hashing_algorithm"] = "rabbit_password_hashing_sha256", ["tags"] = new JsonArray("administrator") }),
            ["vhosts"] = new JsonArray(new JsonObject { ["name"] = "/" }),
            ["permissions"] = new JsonArray(new JsonObject { ["user"] = "guest", ["vhost"] = "/", ["configure"] = ".*", ["write"] = ".*", ["read"] = ".*" }),
            ["exchanges"] = exchanges,
            ["queues"] = queues,
            ["bindings"] = edges,
        }.ToJsonString();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_server is { HasExited: false })
            {
                try
                {
                    await RunAsync(Ctl(), ["-n", Node, "-q", "stop"], TimeSpan.FromSeconds(30));
                    using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                    await _server.WaitForExitAsync(exited.Token);
                }
                catch (Exception)
                {
                    // did not stop when asked (or in time): ended below
                }
            }
        }
        finally
        {
            foreach (var process in new[] { _server, _epmd })
            {
                if (process is null)
                    continue;
                try
                {
                    if (!process.HasExited)
                        process.Kill(entireProcessTree: true); // by the PID this broker started, never by name
                }
                catch (InvalidOperationException)
                {
                    // exited meanwhile
                }

                process.Dispose();
            }

            _dir.Dispose();
        }
    }
}

/// <summary>What a test adds to a <see cref="PrivateBroker"/>'s configuration: <paramref name="Conf"/>, lines of
/// <c>rabbitmq.conf</c>; <paramref name="Advanced"/>, the whole <c>advanced.config</c> (for settings the new format lacks).</summary>
public sealed record BrokerConfig(string? Conf = null, string? Advanced = null);
