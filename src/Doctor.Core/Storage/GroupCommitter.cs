using System.Collections.Concurrent;

namespace Doctor.Storage;

/// <summary>
/// One writer thread that takes everything queued since its last commit and hands it to
/// <see cref="_commit"/> as one batch: under load many writers share one transaction and one fsync;
/// alone, a writer pays for exactly one.
/// </summary>
internal sealed class GroupCommitter<T> : IDisposable
    where T : class
{
    private readonly BlockingCollection<T> _queue = new(new ConcurrentQueue<T>());
    private readonly Action<List<T>> _commit;
    private readonly Action<List<T>, Exception> _fail;
    private readonly Func<T, int> _weight;
    private readonly int _maxWeight;
    private readonly Thread _thread;
    private readonly bool _background;

    /// <param name="commit">Writes and commits one batch; throws when it could not.</param>
    /// <param name="fail">Tells every item of a batch that could not be committed.</param>
    /// <param name="weight">Size of an item (events in an append); a batch stops growing at <paramref name="maxWeight"/>.</param>
    /// <param name="background">Run at a lower scheduling priority (work that may lag, such as the state checkpoint).</param>
    public GroupCommitter(string name, Action<List<T>> commit, Action<List<T>, Exception> fail, Func<T, int> weight, int maxWeight, bool background = false)
    {
        _background = background;
        _commit = commit;
        _fail = fail;
        _weight = weight;
        _maxWeight = maxWeight;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>False once the committer is shutting down.</summary>
    public bool TryAdd(T item)
    {
        try
        {
            return _queue.TryAdd(item);
        }
        catch (InvalidOperationException)
        {
            return false; // completed or disposed (ObjectDisposedException derives from it)
        }
    }

    private void Run()
    {
        if (_background)
            ThreadNiceness.Lower();
        var batch = new List<T>();
        while (true)
        {
            batch.Clear();
            try
            {
                if (!_queue.TryTake(out var first, Timeout.Infinite))
                    return;
                batch.Add(first);
            }
            catch (InvalidOperationException)
            {
                return; // completed and drained
            }

            var weight = _weight(batch[0]);
            while (weight < _maxWeight && _queue.TryTake(out var more))
            {
                batch.Add(more);
                weight += _weight(more);
            }

            try
            {
                _commit(batch);
            }
            catch (Exception ex)
            {
                _fail(batch, ex);
            }
        }
    }

    /// <summary>Stops taking work, commits what is queued, and waits for the thread (bounded).</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join(TimeSpan.FromSeconds(30));
        _queue.Dispose();
    }
}
