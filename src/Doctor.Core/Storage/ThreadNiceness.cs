using System.Runtime.InteropServices;

namespace Doctor.Storage;

/// <summary>
/// Lowers the scheduling priority of the calling thread on Linux (a positive nice value for that thread only).
/// The state checkpoint and WAL checkpoints are background work: on a small machine they must not take a core
/// from the log writer, the engine or the notifier at the moment an event arrives. .NET's ThreadPriority is not
/// applied on Linux, so this goes to the kernel directly; elsewhere it does nothing.
/// </summary>
internal static class ThreadNiceness
{
    private const int PrioProcess = 0;

    public static void Lower(int nice = 10)
    {
        if (!OperatingSystem.IsLinux())
            return;
        try
        {
            _ = SetPriority(PrioProcess, GetThreadId(), nice); // failure only means the thread keeps its priority
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    [DllImport("libc", EntryPoint = "setpriority")]
    private static extern int SetPriority(int which, int who, int priority);

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetThreadId();
}
