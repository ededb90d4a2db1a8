using Doctor.Access;
using Doctor.Control;
using Doctor.Maintenance;
using Doctor.Notification;
using Doctor.OpenStack.Actions;
using Doctor.OpenStack.Keystone;
using Doctor.OpenStack.Maintenance;
using Doctor.OpenStack.Messaging;
using Doctor.OpenStack.Neutron;
using Doctor.OpenStack.Nova;
using Doctor.OpenStack.Sync;
using Doctor.Profiling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Doctor.OpenStack.Hosting;

/// <summary>Registers OpenStack mode: the cloud clients, the map sync, the controller calls behind the notifier, Keystone
/// tokens for callers and (optionally) notifications published onto the cloud's bus.</summary>
public static class OpenStackServices
{
    /// <summary>Adds OpenStack mode. <typeparamref name="TNotifier"/> is the owners' notifier the controller calls queue behind;
    /// call this after the engine's hosted service is added, so the sync starts once the engine has loaded.</summary>
    public static IServiceCollection AddOpenStack<TNotifier>(this IServiceCollection services, OpenStackOptions options)
        where TNotifier : class, INoticeSink
    {
        services.AddSingleton(options);
        services.AddSingleton(_ => CloudClient(options));
        services.AddSingleton(sp => new KeystoneSession(Http(sp), options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<KeystoneSession>>()));
        services.AddSingleton(sp => new NovaClient(Http(sp), sp.GetRequiredService<KeystoneSession>(), options));
        services.AddSingleton(sp => new NeutronClient(Http(sp), sp.GetRequiredService<KeystoneSession>(), options));
        services.AddSingleton<CloudStatus>();
        services.AddSingleton(sp => new ActionRunner(sp.GetRequiredService<NovaClient>(), sp.GetRequiredService<NeutronClient>(), options,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ActionRunner>>()));
        if (options.PublishNotifications)
        {
            services.AddSingleton(sp => new OsloPublisher(options, sp.GetRequiredService<ILogger<OsloPublisher>>(), sp.GetRequiredService<TimeProvider>()));
            services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<OsloPublisher>());
        }

        services.AddSingleton<INoticeSink>(sp =>
        {
            INoticeSink sink = sp.GetRequiredService<TNotifier>();
            if (options.PublishNotifications)
                sink = new OsloNotices(sink, sp.GetRequiredService<OsloPublisher>(), options.DoctorUrl);
            return new ControllerActions(sink, sp.GetRequiredService<ActionRunner>(), options, sp.GetRequiredService<CloudStatus>(), sp.GetRequiredService<TimelineBook>());
        });
        if (options.AcceptKeystoneTokens)
        {
            services.AddSingleton<IExternalTokens>(sp => new KeystoneTokens(Http(sp), sp.GetRequiredService<KeystoneSession>(), options,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<KeystoneTokens>>()));
        }

        services.AddSingleton<ServerChanges>();
        services.AddSingleton<CloudSync>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<CloudSync>());
        if (options.MaintenanceActions)
        {
            // The engine hands the sessions' calls to NovaMaintenance, which reports back through the engine: both are
            // resolved lazily, so neither needs the other to be built first.
            services.AddSingleton(sp => new NovaMigrator(sp.GetRequiredService<NovaClient>(), options, sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<NovaMigrator>>(), string.IsNullOrWhiteSpace(options.TransportUrl) ? null : sp.GetRequiredService<ServerChanges>()));
            services.AddSingleton(sp => new NovaMaintenance(
                sp.GetRequiredService<NovaClient>(), sp.GetRequiredService<NovaMigrator>(), sp.GetRequiredService<ActionRunner>(),
                report => sp.GetRequiredService<DoctorEngine>().ExecuteAsync(editor => MaintenanceCommands.ReportMigration(editor, report)),
                () => sp.GetRequiredService<DoctorEngine>().State,
                options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<NovaMaintenance>>()));
            services.AddSingleton<IMaintenanceController>(sp => sp.GetRequiredService<NovaMaintenance>());
            services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<NovaMaintenance>()); // after the sync: the map is current
        }

        return services;
    }

    private static HttpClient Http(IServiceProvider sp) => sp.GetRequiredService<CloudHttp>().Client;

    private static CloudHttp CloudClient(OpenStackOptions options) => new(new HttpClient(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(options.CallTimeoutSeconds),
        MaxConnectionsPerServer = Math.Max(4, 2 * options.ActionConcurrency + 2), // servers' calls, hosts' calls (own slots), reads
    })
    { Timeout = Timeout.InfiniteTimeSpan });
}

/// <summary>The one pooled HTTP client of the cloud's APIs (distinct from the webhook client, which refuses private addresses).</summary>
public sealed record CloudHttp(HttpClient Client);
