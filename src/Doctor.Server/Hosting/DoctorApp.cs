using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Doctor.Control;
using Doctor.Inspection;
using Doctor.Maintenance;
using Doctor.Notification;
using Doctor.OpenStack.Hosting;
using Doctor.Server.OpenStack;
using Doctor.Profiling;
using Doctor.Secrets;
using Doctor.Serialization;
using Doctor.Server.Access;
using Doctor.Server.Events;
using Doctor.Server.Faults;
using Doctor.Server.Http;
using Doctor.Server.Inspection;
using Doctor.Server.Inventory;
using Doctor.Server.Silences;
using Doctor.Server.Maintenance;
using Doctor.Server.Subscriptions;
using Doctor.Server.Throttling;
using Doctor.Server.Tls;
using Doctor.Storage;
using Doctor.Storage.Postgres;
using Doctor.Storage.Sqlite;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Doctor.Server.Hosting;

/// <summary>Builds the one process that serves every API on one port (SPEC §1).</summary>
public static class DoctorApp
{
    /// <summary>
    /// Creates the application. Settings come from appsettings.json, DOCTOR_* environment variables and
    /// <paramref name="args"/>; <paramref name="configure"/> lets tests and the CLI override them.
    /// </summary>
    public static WebApplication Create(string[] args, Action<DoctorServerOptions>? configure = null, Action<WebApplicationBuilder>? builderHook = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddJsonFile("appsettings.json", optional: true);
        builder.Configuration.AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true);
        builder.Configuration.AddEnvironmentVariables();

        var options = new DoctorServerOptions();
        builder.Configuration.GetSection("Doctor").Bind(options);
        options.DataDir = builder.Configuration["DOCTOR_DATA_DIR"] ?? options.DataDir;
        options.Urls = builder.Configuration["DOCTOR_URLS"] ?? options.Urls;
        options.AdminToken = builder.Configuration[DoctorConstants.AdminTokenVariable] ?? options.AdminToken;
        options.SecretKey = builder.Configuration[SecretKeys.Variable] ?? options.SecretKey;
        options.PolicyFile = builder.Configuration[DoctorConstants.PolicyFileVariable] ?? options.PolicyFile;
        options.Store = builder.Configuration[DoctorConstants.StoreVariable] ?? options.Store;
        options.Connection = builder.Configuration[DoctorConstants.ConnectionVariable] ?? options.Connection;
        options.Controller = builder.Configuration[DoctorConstants.ControllerVariable] ?? options.Controller;
        options.OpenStack.FromEnvironment(name => builder.Configuration[name]);
        configure?.Invoke(options);
        var certificate = Validate(options, out var policy);
        // Null: the store keeps the key in the data directory's secret.key.
        var secrets = string.IsNullOrWhiteSpace(options.SecretKey) ? null : new SecretSealer(SecretKeys.Parse(options.SecretKey));

        builder.WebHost.UseUrls(options.Urls);
        if (certificate is not null)
            builder.WebHost.UseKestrelHttpsConfiguration(); // the slim builder leaves https:// addresses out otherwise
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = DoctorConstants.MaxBodyBytes;
            k.AddServerHeader = false;
            if (certificate is not null)
            {
                k.ConfigureHttpsDefaults(https =>
                {
                    https.ServerCertificate = certificate;
                    https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
                });
            }
        });
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);

        var services = builder.Services;
        services.AddSingleton(Options.Create(options));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(options.Delivery);
        services.AddSingleton(new CallbackPolicy(options.Delivery.DeniedNetworks, options.Delivery.AllowedNetworks));
        services.AddSingleton<IDoctorStore>(sp => IsPostgres(options)
            ? new PostgresStore(options.Connection!, options.DataDir, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<PostgresStore>>(), secrets)
            : new SqliteStore(options.DataDir, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SqliteStore>>(), secrets));
        services.AddSingleton(new PolicySource(policy));
        services.AddSingleton(sp => new PolicyReloader(
            sp.GetRequiredService<PolicySource>(), options.PolicyFile, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<PolicyReloader>>()));
        services.AddHostedService<PolicySignals>();
        services.AddSingleton<TimelineBook>();
        services.AddSingleton<FaultProcessor>();
        services.AddSingleton(sp => WebhookClient(sp.GetRequiredService<CallbackPolicy>(), options.Delivery));
        services.AddSingleton(sp => new WebhookDispatcher(
            sp.GetRequiredService<HttpClient>(), sp.GetRequiredService<TimeProvider>(), options.Delivery,
            id => sp.GetRequiredService<DoctorEngine>().State.Subscriptions.All.Get(id),
            sp.GetRequiredService<ILogger<WebhookDispatcher>>()));
        services.AddSingleton(sp => new DeliveryOutbox(sp.GetRequiredService<WebhookDispatcher>(), sp.GetRequiredService<IDoctorStore>()));
        services.AddSingleton<IDeliverySink>(sp => sp.GetRequiredService<DeliveryOutbox>());
        services.AddSingleton<Notifier>();
        services.AddSingleton<INoticeSink>(sp => sp.GetRequiredService<Notifier>());
        services.AddSingleton(sp => new DoctorEngine(
            sp.GetRequiredService<IDoctorStore>(), sp.GetRequiredService<FaultProcessor>(), sp.GetRequiredService<INoticeSink>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<DoctorEngine>>())
        {
            ClearedFaultsKept = options.ClearedFaultsKept,
            Outbox = sp.GetRequiredService<DeliveryOutbox>(),
            Maintenance = sp.GetService<IMaintenanceController>(), // OpenStack mode; none: the embedded controller
        });
        services.AddSingleton<ServerMoves>();
        services.AddSingleton(sp => new Warmup(sp.GetRequiredService<PolicySource>(), options.Delivery, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<Warmup>>()));
        // The host must not cut the stop short: the engine, the delivery drain and the store's last commit fit in it.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownDrainSeconds + 30));
        services.AddHostedService<DoctorRuntime>();
        if (IsOpenStack(options))
            services.AddOpenStack<Notifier>(options.OpenStack); // after the runtime: the sync writes through the started engine
        services.AddSingleton(IsOpenStack(options)
            ? options.Maintenance.Timers() with { MigrationTimeoutSeconds = options.OpenStack.MigrationTimeoutSeconds }
            : options.Maintenance.Timers());
        services.AddSingleton<MaintenanceClock>();
        services.AddHostedService<MaintenanceRunner>();
        if (options.RateLimits.Enabled)
            services.AddDoctorRateLimits(options.RateLimits);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = FrameworkProblem);
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = DoctorJson.Options.PropertyNamingPolicy;
            json.SerializerOptions.Encoder = DoctorJson.Options.Encoder;
        });
        builderHook?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();
        app.Use(RejectedRequests);
        app.UseMiddleware<CallerMiddleware>();
        if (options.RateLimits.Enabled)
            app.UseRateLimiter(); // after the caller is known: the limits are per token

        app.MapGet("/healthz", (DoctorEngine engine) => engine.IsReady
            ? Results.Json(new { status = "ok", processed_seq = engine.State.ProcessedSeq })
            : Problems.Unavailable("starting")).Public().DisableRateLimiting();
        app.MapTokens();
        app.MapHosts();
        app.MapDevices();
        app.MapServersAndPorts();
        app.MapInventory();
        app.MapEvents();
        app.MapFaults();
        app.MapSubscriptions();
        app.MapSilences();
        app.MapMaintenance();
        app.MapPolicy();
        app.MapOpenStack(IsOpenStack(options));
        return app;
    }

    /// <summary>True when <c>Doctor:Controller</c> selects OpenStack mode.</summary>
    public static bool IsOpenStack(DoctorServerOptions options) =>
        string.Equals(options.Controller, DoctorConstants.OpenStackController, StringComparison.OrdinalIgnoreCase);

    /// <summary>True when <c>Doctor:Store</c> selects PostgreSQL.</summary>
    public static bool IsPostgres(DoctorServerOptions options) =>
        string.Equals(options.Store, DoctorConstants.PostgresStoreName, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Problems the framework writes itself (unknown path, wrong method, unhandled error) carry no detail; SPEC §1
    /// wants status, title and detail on every error, so they get our title and a detail. Ours already have both.
    /// </summary>
    private static void FrameworkProblem(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Detail is not null)
            return;
        var request = context.HttpContext.Request;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        problem.Title = Problems.Title(status);
        problem.Detail = status switch
        {
            StatusCodes.Status404NotFound => $"no resource is served at {request.Path}",
            StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed on {request.Path}",
            _ => "the request could not be served",
        };
    }

    /// <summary>Turns a <see cref="RequestException"/> thrown by a handler into its problem answer.</summary>
    private static async Task RejectedRequests(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (RequestException rejected) when (!context.Response.HasStarted)
        {
            await rejected.Result.ExecuteAsync(context);
        }
        catch (BadHttpRequestException bad) when (!context.Response.HasStarted)
        {
            await Problems.WriteAsync(context, bad.StatusCode, bad.Message);
        }
    }

    /// <summary>
    /// The pooled webhook client. Its connect step re-checks the callback policy on the resolved address, so a
    /// DNS name cannot smuggle a delivery to a refused (e.g. metadata) address.
    /// </summary>
    public static HttpClient WebhookClient(CallbackPolicy policy, DeliveryOptions delivery)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = delivery.Timeout,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
                var allowed = addresses.Where(policy.IsAllowed).ToArray();
                if (allowed.Length == 0)
                    throw new HttpRequestException($"the callback policy refuses every address of {context.DnsEndPoint.Host}");
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        // The one place certificate validation of callbacks can be turned off, by a setting named to be noticed
        // (DoctorRuntime logs a warning at start when it is on).
        if (delivery.DangerousAcceptAnyServerCertificate)
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// Checks every setting (all errors at once, each naming its setting); returns the listener's certificate and the
    /// failure policy to start with.
    /// </summary>
    private static X509Certificate2? Validate(DoctorServerOptions options, out FailurePolicy policy)
    {
        policy = FailurePolicy.Default;
        if (string.IsNullOrWhiteSpace(options.DataDir))
            throw new OptionsValidationException(nameof(options.DataDir), typeof(DoctorServerOptions), ["Doctor:DataDir must not be empty"]);
        var d = options.Delivery;
        var errors = new List<string>();
        if (!IsPostgres(options) && !string.Equals(options.Store, DoctorConstants.SqliteStoreName, StringComparison.OrdinalIgnoreCase))
            errors.Add($"Doctor:Store must be {DoctorConstants.SqliteStoreName} or {DoctorConstants.PostgresStoreName}, not '{options.Store}'");
        if (IsPostgres(options) && PostgresStore.CheckConnectionString(options.Connection) is { } connectionProblem)
            errors.Add("Doctor:Connection (DOCTOR_CONNECTION, --connection) " + connectionProblem);
        if (d.Timeout <= TimeSpan.Zero)
            errors.Add("Doctor:Delivery:Timeout must be positive");
        if (d.FirstRetryDelay <= TimeSpan.Zero || d.MaxRetryDelay < d.FirstRetryDelay)
            errors.Add("Doctor:Delivery retry delays must be positive, MaxRetryDelay >= FirstRetryDelay");
        if (options.ClearedFaultsKept < 0)
            errors.Add("Doctor:ClearedFaultsKept must not be negative");
        if (options.MaxSilences < 0)
            errors.Add("Doctor:MaxSilences must not be negative");
        errors.AddRange(options.Maintenance.Validate());
        if (!IsOpenStack(options) && !string.Equals(options.Controller, DoctorConstants.EmbeddedController, StringComparison.OrdinalIgnoreCase))
            errors.Add($"Doctor:Controller ({DoctorConstants.ControllerVariable}, --controller) must be {DoctorConstants.EmbeddedController} or {DoctorConstants.OpenStackController}, not '{options.Controller}'");
        if (IsOpenStack(options))
            errors.AddRange(options.OpenStack.Validate());
        if (d.MaxAge <= TimeSpan.Zero)
            errors.Add("Doctor:Delivery:MaxAge must be positive");
        if (options.ShutdownDrainSeconds is < 0 or > 3600)
            errors.Add("Doctor:ShutdownDrainSeconds must be between 0 and 3600");
        try
        {
            _ = new CallbackPolicy(d.DeniedNetworks, d.AllowedNetworks);
        }
        catch (FormatException ex)
        {
            errors.Add("Doctor:Delivery networks must be CIDRs: " + ex.Message);
        }

        options.RateLimits.Validate(errors);
        if (!string.IsNullOrWhiteSpace(options.PolicyFile))
        {
            // A full path, so the logs, GET /v1/policy and every reload name the same file whatever the working directory.
            try
            {
                options.PolicyFile = Path.GetFullPath(options.PolicyFile);
                policy = PolicyFile.Load(options.PolicyFile);
            }
            catch (PolicyFileException ex)
            {
                errors.Add($"Doctor:PolicyFile ({DoctorConstants.PolicyFileVariable}): {ex.Message}");
            }
            catch (ArgumentException ex)
            {
                errors.Add($"Doctor:PolicyFile ({DoctorConstants.PolicyFileVariable}) is not a path: {ex.Message}");
            }
        }
        else
        {
            options.PolicyFile = null; // an empty setting means the built-in policy, as unset does
        }

        if (!string.IsNullOrWhiteSpace(options.SecretKey))
        {
            try
            {
                SecretKeys.Parse(options.SecretKey);
            }
            catch (FormatException ex)
            {
                errors.Add($"{SecretKeys.Variable} (Doctor:SecretKey): {ex.Message}");
            }
        }

        X509Certificate2? certificate = null;
        if (options.Tls.IsConfigured)
        {
            try
            {
                certificate = ServerCertificates.Load(options.Tls);
            }
            catch (FormatException ex)
            {
                errors.Add(ex.Message);
            }
        }
        else if (HasHttpsUrl(options.Urls))
        {
            errors.Add("Doctor:Urls has an https:// address but no certificate is configured: set Doctor:Tls:CertificatePath (and KeyPath or Password)");
        }

        if (errors.Count > 0)
        {
            certificate?.Dispose();
            throw new OptionsValidationException("Doctor", typeof(DoctorServerOptions), errors);
        }

        return certificate;
    }

    internal static bool HasHttpsUrl(string urls) =>
        urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Any(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
}
