using System.Net;
using System.Text;
using Doctor.OpenStack;
using Doctor.OpenStack.Actions;
using Doctor.OpenStack.Keystone;
using Doctor.OpenStack.Neutron;
using Doctor.OpenStack.Nova;
using Microsoft.Extensions.Logging.Abstractions;

namespace Doctor.Server.Tests.OpenStack;

/// <summary>
/// The controller calls of one host failure: the host's force-down and a reset-state per server. Found by
/// <c>doctor bench openstack</c> at 50 VMs: with one pool of slots the force-down sometimes queued behind the servers'
/// reset-states and reached Nova 4–5 s late. A host's calls have slots of their own. (ActionAttempts = 1 here also
/// checks that "no retries" builds: it used to throw in Polly's validation and stop the start.)
/// </summary>
public sealed class ActionRunnerSlotsTests
{
    [Fact]
    public async Task ForceDown_BusyServerSlots_DoesNotWait()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cloud = new StubCloud(release.Task);
        using var http = new HttpClient(cloud);
        var options = new OpenStackOptions { AuthUrl = "http://keystone.test/v3", Username = "doctor", Password = "pw", ActionConcurrency = 2, ActionAttempts = 1 };
        var session = new KeystoneSession(http, options, TimeProvider.System, NullLogger<KeystoneSession>.Instance);
        var runner = new ActionRunner(new NovaClient(http, session, options), new NeutronClient(http, session, options), options, TimeProvider.System, NullLogger<ActionRunner>.Instance);
        await using (runner)
        {
            var resets = Enumerable.Range(0, 6).Select(i => runner.Enqueue(new ControllerAction(ActionKind.ResetState, $"vm-{i}", "error", null, null))).ToList();
            await cloud.ResetsStarted(2).WaitAsync(TimeSpan.FromSeconds(10)); // both server slots held, four calls waiting

            var forced = runner.Enqueue(new ControllerAction(ActionKind.ForceDown, "host-1", "true", "service-1", null));
            await forced.WaitAsync(TimeSpan.FromSeconds(10));

            Assert.True(cloud.ForcedDown);
            Assert.DoesNotContain(resets, r => r.IsCompleted);
            release.SetResult();
            await Task.WhenAll(resets).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(6, cloud.Resets);
        }
    }

    /// <summary>Keystone (a token with a catalog) and the two Nova calls; reset-states hang until released.</summary>
    private sealed class StubCloud(Task release) : HttpMessageHandler
    {
        private int _resets;
        private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];

        public bool ForcedDown { get; private set; }

        public int Resets => Volatile.Read(ref _resets);

        public Task ResetsStarted(int count)
        {
            lock (_waiters)
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_resets >= count)
                    done.SetResult();
                else
                    _waiters.Add((count, done));
                return done.Task;
            }
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            if (path == "/v3/auth/tokens")
            {
                var body = $$$"""
                    {"token": {"expires_at": "{{{DateTimeOffset.UtcNow.AddHours(1):O}}}", "catalog": [
                      {"type": "compute", "endpoints": [{"interface": "internal", "region_id": "RegionOne", "url": "http://nova.test/v2.1"}]},
                      {"type": "network", "endpoints": [{"interface": "internal", "region_id": "RegionOne", "url": "http://neutron.test"}]}]}}
                    """;
                var answer = new HttpResponseMessage(HttpStatusCode.Created) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                answer.Headers.Add("X-Subject-Token", "service-token");
                return answer;
            }

            if (request.Method == HttpMethod.Put && path == "/v2.1/os-services/service-1")
            {
                ForcedDown = true;
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
            }

            if (request.Method == HttpMethod.Post && path.StartsWith("/v2.1/servers/vm-", StringComparison.Ordinal) && path.EndsWith("/action", StringComparison.Ordinal))
            {
                lock (_waiters)
                {
                    _resets++;
                    foreach (var waiter in _waiters.Where(w => _resets >= w.Count).ToList())
                    {
                        waiter.Done.SetResult();
                        _waiters.Remove(waiter);
                    }
                }

                await release.WaitAsync(cancellationToken);
                return new HttpResponseMessage(HttpStatusCode.Accepted);
            }

            return new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new StringContent($"unexpected {request.Method} {path}") };
        }
    }
}
