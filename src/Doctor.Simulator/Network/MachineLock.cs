namespace Doctor.Simulator.Network;

/// <summary>
/// A machine-wide lock (an exclusive flock on a file) held while a run reads which /30 blocks
/// are taken and creates its own, so two runs side by side never pick the same addresses.
/// </summary>
public sealed class MachineLock : IDisposable
{
    private readonly FileStream _file;

    private MachineLock(FileStream file) => _file = file;

    public static async Task<MachineLock> AcquireAsync(string path, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive flock on Unix: it fails while another process (or handle) holds it.
                return new MachineLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException ex)
            {
                if (time.GetElapsedTime(started) >= timeout)
                    throw new TimeoutException($"another run held {path} for {timeout.TotalSeconds:0} s", ex);
                await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken);
            }
        }
    }

    public void Dispose() => _file.Dispose();
}
