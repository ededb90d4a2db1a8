using System.Net;
using Doctor.Server.Hosting;
using Doctor.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Doctor.Server.Tests.Hostile;

/// <summary>
/// The real service behind a TestServer whose webhook client never touches the network: a fuzzer creates
/// subscriptions with arbitrary callback URLs (DNS names included), and their deliveries must go nowhere.
/// </summary>
public sealed class FuzzHost : IAsyncDisposable
{
    public const string AdminToken = Infrastructure.DoctorHost.AdminToken;

    private readonly TempDirectory _dataDir = new();

    private FuzzHost()
    {
    }

    public WebApplication App { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    /// <summary>Webhook calls answered (never sent anywhere).</summary>
    public int Deliveries => _sink.Count;

    private readonly NowhereHandler _sink = new();

    public static async Task<FuzzHost> StartAsync()
    {
        var host = new FuzzHost();
        await host.CreateAsync();
        return host;
    }

    private async Task CreateAsync()
    {
        App = DoctorApp.Create(
            [],
            options =>
            {
                options.DataDir = _dataDir.Path;
                options.AdminToken = AdminToken;
                // The loop sends far more requests per second through one token than any client should: it tests
                // input handling, not throttling (Throttling/RateLimitTests covers the limiter).
                options.RateLimits.Enabled = false;
            },
            builder =>
            {
                builder.WebHost.UseTestServer();
                builder.Logging.ClearProviders();
                builder.Services.AddSingleton(new HttpClient(_sink, disposeHandler: false));
            });
        await App.StartAsync();
        Client = App.GetTestClient();
    }

    /// <summary>Stops the service and starts it again on the same data directory.</summary>
    public async Task RestartAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await CreateAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        try
        {
            await App.StopAsync();
        }
        finally
        {
            await App.DisposeAsync();
            _sink.Dispose();
            _dataDir.Dispose();
        }
    }

    /// <summary>Answers every webhook POST with 204 without sending it.</summary>
    private sealed class NowhereHandler : HttpMessageHandler
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NoContent) { RequestMessage = request });
        }
    }
}
