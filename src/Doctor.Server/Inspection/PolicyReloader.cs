using Doctor.Inspection;

namespace Doctor.Server.Inspection;

/// <summary>A policy in force: the rules, where they came from (a path or <c>built-in</c>) and when they were read.</summary>
public sealed record LoadedPolicy(FailurePolicy Policy, string Source, DateTimeOffset LoadedAt);

/// <summary>
/// Knows where the policy in force came from and reads it again on request (SIGHUP, <c>POST /v1/policy/reload</c>).
/// A file that does not validate changes nothing: the engine keeps inspecting under the previous policy.
/// </summary>
public sealed partial class PolicyReloader
{
    /// <summary>The source name of the embedded default policy.</summary>
    public const string BuiltIn = "built-in";

    private readonly PolicySource _source;
    private readonly string? _file;
    private readonly TimeProvider _time;
    private readonly ILogger<PolicyReloader> _logger;

    // Two reloads at once (a signal while an admin posts) must not interleave their Set and their record of it.
    private readonly Lock _gate = new();
    private volatile LoadedPolicy _loaded;

    /// <param name="file">The configured policy file (already loaded into <paramref name="source"/>); null: built-in.</param>
    public PolicyReloader(PolicySource source, string? file, TimeProvider time, ILogger<PolicyReloader> logger)
    {
        _source = source;
        _file = file;
        _time = time;
        _logger = logger;
        _loaded = new LoadedPolicy(source.Current, file ?? BuiltIn, time.GetUtcNow());
    }

    /// <summary>The policy in force.</summary>
    public LoadedPolicy Current => _loaded;

    /// <summary>Reads the configured file again (or the built-in policy) and puts it in force.</summary>
    /// <exception cref="PolicyFileException">The file does not validate; the previous policy stays in force.</exception>
    public LoadedPolicy Reload(string trigger)
    {
        lock (_gate)
        {
            FailurePolicy policy;
            try
            {
                policy = _file is null ? FailurePolicy.Default : PolicyFile.Load(_file);
            }
            catch (PolicyFileException ex)
            {
                LogReloadRefused(ex.File, trigger, ex.Errors.Count, string.Join("; ", ex.Errors));
                throw;
            }

            _source.Set(policy);
            _loaded = new LoadedPolicy(policy, _file ?? BuiltIn, _time.GetUtcNow());
            LogReloaded(_loaded.Source, trigger, policy.Rules.Length);
            return _loaded;
        }
    }

    /// <summary>Logs the policy in force at start.</summary>
    public void LogInForce() => LogLoaded(_loaded.Source, _loaded.Policy.Rules.Length);

    [LoggerMessage(Level = LogLevel.Information, Message = "Failure policy in force: {Source} ({Rules} rules)")]
    private partial void LogLoaded(string source, int rules);

    [LoggerMessage(Level = LogLevel.Information, Message = "Failure policy reloaded from {Source} on {Trigger} ({Rules} rules)")]
    private partial void LogReloaded(string source, string trigger, int rules);

    [LoggerMessage(Level = LogLevel.Error, Message = "Failure policy {File} not reloaded on {Trigger}, the previous policy stays in force; {Count} problems: {Errors}")]
    private partial void LogReloadRefused(string file, string trigger, int count, string errors);
}
