using System.Diagnostics;
using Npgsql;

namespace Doctor.Testing;

/// <summary>
/// A real PostgreSQL server for the tests: <c>initdb</c> into a temp directory and <c>pg_ctl start</c> on a free loopback
/// port (fsync on, as in production), as the <c>postgres</c> user when the tests run as root (the server refuses root).
/// Missing binaries fail the tests that need it, with how to get them: CI installs them, a silent skip would hide that.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private const string SuperUser = "doctor";
    private readonly string _root;
    private readonly string _data;
    private readonly string _bin;
    private readonly string? _runAs;
    private int _schemas;

    public PostgresServer()
    {
        _bin = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin, DOCTOR_PG_BIN or PATH: " +
            "install the Debian package postgresql (test.sh does so when run as root) to run the PostgreSQL store tests");
        _root = Directory.CreateTempSubdirectory("doctor-pg-").FullName;
        _data = Path.Combine(_root, "data");
        _runAs = Environment.UserName == "root" ? "postgres" : null;
        if (_runAs is not null)
            Run("chown", "-R", $"{_runAs}:", _root);
        Port = FreePort.Next();
        Run(Path.Combine(_bin, "initdb"), "-D", _data, "-U", SuperUser, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync");
        Run(Path.Combine(_bin, "pg_ctl"), "start", "-D", _data, "-w", "-t", "60", "-l", Path.Combine(_root, "server.log"),
            "-o", $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200");
        ConnectionString = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = SuperUser, Database = "postgres" }.ToString();
    }

    public int Port { get; }

    /// <summary>The superuser on the <c>postgres</c> database.</summary>
    public string ConnectionString { get; }

    /// <summary>A fresh, empty schema; the returned connection string puts it first on the search path.</summary>
    public string NewSchema()
    {
        var name = $"t{Interlocked.Increment(ref _schemas)}_{Guid.NewGuid():N}"[..20];
        using (var connection = new NpgsqlConnection(ConnectionString))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE SCHEMA {name}", connection);
            command.ExecuteNonQuery();
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = name }.ToString();
    }

    /// <summary>A fresh, empty database (what a deployment gets).</summary>
    public string NewDatabase()
    {
        var name = $"d{Interlocked.Increment(ref _schemas)}_{Guid.NewGuid():N}"[..20];
        using (var connection = new NpgsqlConnection(ConnectionString))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            command.ExecuteNonQuery();
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ToString();
    }

    private static string? FindBinaries()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("DOCTOR_PG_BIN") is { Length: > 0 } configured)
            candidates.Add(configured);
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        }

        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    private void Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (_runAs is not null && file != "chown")
        {
            start.FileName = "runuser";
            foreach (var a in new[] { "-u", _runAs, "--", file })
                start.ArgumentList.Add(a);
        }
        else
        {
            start.FileName = file;
        }

        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        // pg_ctl's server keeps the pipes open: read to the end only after it exits, and not forever.
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} did not finish in 120 s");
        }

        if (process.ExitCode != 0)
        {
            var log = Path.Combine(_root, "server.log");
            throw new InvalidOperationException(
                $"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {Wait(output)}{Wait(error)}" +
                (File.Exists(log) ? File.ReadAllText(log) : ""));
        }
    }

    private static string Wait(Task<string> text) => text.Wait(TimeSpan.FromSeconds(2)) ? text.Result : "";

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            Run(Path.Combine(_bin, "pg_ctl"), "stop", "-D", _data, "-m", "immediate", "-w");
        }
        finally
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
                // the OS cleans temp anyway
            }
        }
    }
}
