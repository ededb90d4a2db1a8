using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Doctor.Simulator.Network;

/// <summary>
/// Opens a listening TCP socket inside a named network namespace without an external process. A socket belongs to
/// the namespace of the thread that created it, and <c>setns</c> switches only the calling thread; so a dedicated
/// thread enters the namespace, creates, binds and listens, and returns to its own namespace before it ends. No other
/// code ever runs on that thread, so nothing else can open a socket in the wrong namespace.
/// </summary>
public static partial class NamespaceSocket
{
    private const int CloneNewNet = 0x4000_0000;

    /// <summary>Where <c>ip netns add NAME</c> mounts the namespace.</summary>
    public static string PathOf(string name) => $"/var/run/netns/{name}";

    public static Task<Socket> ListenAsync(string netns, IPEndPoint endpoint, int backlog)
    {
        var result = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                result.SetResult(ListenOnThisThread(PathOf(netns), endpoint, backlog));
            }
            catch (Exception ex)
            {
                result.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = $"listen in {netns}",
        };
        thread.Start();
        return result.Task;
    }

    private static Socket ListenOnThisThread(string netnsPath, IPEndPoint endpoint, int backlog)
    {
        // thread-self, not self: the process's main thread need not be in the namespace this thread is in.
        using var home = File.OpenHandle("/proc/thread-self/ns/net");
        using var target = File.OpenHandle(netnsPath);
        Enter(target, netnsPath);
        try
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(endpoint);
                socket.Listen(backlog);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        finally
        {
            // Cannot fail for a namespace we were in a moment ago; if it ever did, this thread ends right here anyway.
            Enter(home, "/proc/thread-self/ns/net");
        }
    }

    private static void Enter(SafeFileHandle handle, string path)
    {
        if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
            throw new IOException($"setns({path}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
