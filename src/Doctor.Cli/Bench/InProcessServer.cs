using Doctor.Server.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Doctor.Cli.Bench;

/// <summary>Doctor hosted inside the benchmark's process on a free loopback port.</summary>
public sealed class InProcessServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _disposed;

    private InProcessServer(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    public static async Task<InProcessServer> StartAsync(string dataDir, string adminToken, CancellationToken cancellationToken)
    {
        var app = DoctorApp.Create([], options =>
        {
            options.DataDir = dataDir;
            options.Urls = "http://127.0.0.1:0";
            options.AdminToken = adminToken;
        }, builder => builder.Logging.AddFilter("Microsoft", LogLevel.Warning).AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning).AddFilter("Doctor", LogLevel.Warning));
        await app.StartAsync(cancellationToken);
        return new InProcessServer(app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
