using System.Collections.Concurrent;

namespace Doctor.OpenStack.Sync;

/// <summary>
/// Lets whoever follows a server in Nova (a maintenance migration) wait for the next notification about it instead of
/// reading Nova at a fixed pace: the sync calls <see cref="Changed"/> for every server a notification names. Only servers
/// someone is waiting for are kept.
/// </summary>
public sealed class ServerChanges
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _next = new(StringComparer.Ordinal);

    /// <summary>Completes at the next notification about <paramref name="serverId"/>. Ask before reading Nova, so a
    /// notification that arrives during the read still wakes the waiter.</summary>
    public Task Next(string serverId) =>
        _next.GetOrAdd(serverId, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>A notification named <paramref name="serverId"/>.</summary>
    public void Changed(string serverId)
    {
        if (_next.TryRemove(serverId, out var waiting))
            waiting.TrySetResult();
    }

    /// <summary>Nobody follows <paramref name="serverId"/> any more.</summary>
    public void Forget(string serverId) => _next.TryRemove(serverId, out _);

    /// <summary>Servers waited for (tests).</summary>
    internal int Waiting => _next.Count;
}
