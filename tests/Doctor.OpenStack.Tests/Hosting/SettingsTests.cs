using System.Text.Json;
using Doctor.OpenStack.Tests.Infrastructure;
using Doctor.Server.Hosting;
using Doctor.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Doctor.OpenStack.Tests.Hosting;

/// <summary>Settings of OpenStack mode: refused at start with every problem named; embedded mode does not need them.</summary>
public sealed class SettingsTests
{
    private static OptionsValidationException Refused(Action<DoctorServerOptions> configure)
    {
        using var dir = new TempDirectory();
        return Assert.Throws<OptionsValidationException>(() => DoctorApp.Create([], o =>
        {
            o.DataDir = dir.Path;
            // Whatever the machine's OS_* variables say, these tests decide.
            o.OpenStack = new OpenStackOptions { AuthUrl = "http://127.0.0.1:5000/v3", Username = "doctor", Password = "secret" };
            configure(o);
        }));
    }

    [Theory]
    [InlineData("nova")]
    [InlineData("")]
    [InlineData("open-stack")]
    public void Create_UnknownController_RefusedNamingTheSetting(string controller)
    {
        var error = Refused(o => o.Controller = controller);

        Assert.Contains("Doctor:Controller", error.Message);
        Assert.Contains("embedded", error.Message);
        Assert.Contains("openstack", error.Message);
    }

    [Theory]
    [InlineData("AuthUrl", "Doctor:OpenStack:AuthUrl")]
    [InlineData("Username", "Doctor:OpenStack:Username")]
    [InlineData("Password", "Doctor:OpenStack:Password")]
    public void Create_OpenStackWithoutARequiredSetting_RefusedNamingIt(string missing, string named)
    {
        var error = Refused(o =>
        {
            o.Controller = "openstack";
            switch (missing)
            {
                case "AuthUrl": o.OpenStack.AuthUrl = null; break;
                case "Username": o.OpenStack.Username = " "; break;
                default: o.OpenStack.Password = ""; break;
            }
        });

        Assert.Contains(named, error.Message);
        Assert.Single(error.Failures);
    }

    [Fact]
    public void Create_OpenStackWithNothingSet_EveryMissingSettingNamedAtOnce()
    {
        var error = Refused(o =>
        {
            o.Controller = "OpenStack";
            o.OpenStack = new OpenStackOptions();
        });

        Assert.Contains("Doctor:OpenStack:AuthUrl (OS_AUTH_URL)", error.Message);
        Assert.Contains("Doctor:OpenStack:Username (OS_USERNAME)", error.Message);
        Assert.Contains("Doctor:OpenStack:Password (OS_PASSWORD)", error.Message);
    }

    [Theory]
    [InlineData("ftp://keystone/v3", "AuthUrl")]
    [InlineData("keystone:5000", "AuthUrl")]
    [InlineData(null, "Interface")]
    [InlineData(null, "TransportUrl")]
    [InlineData(null, "PublishNotifications")]
    [InlineData(null, "ActionConcurrency")]
    [InlineData(null, "CallTimeoutSeconds")]
    [InlineData(null, "ActionAttempts")]
    [InlineData(null, "UnforceRetrySeconds")]
    [InlineData(null, "Queue")]
    [InlineData(null, "ReconcileSeconds")]
    [InlineData(null, "StartupSnapshotSeconds")]
    [InlineData(null, "TokenCacheSeconds")]
    public void Create_OpenStackBadSetting_RefusedNamingIt(string? authUrl, string setting)
    {
        var error = Refused(o =>
        {
            o.Controller = "openstack";
            var s = o.OpenStack;
            switch (setting)
            {
                case "AuthUrl": s.AuthUrl = authUrl; break;
                case "Interface": s.Interface = "internalURL"; break;
                case "TransportUrl": s.TransportUrl = "http://rabbit:5672/"; break;
                case "PublishNotifications": s.PublishNotifications = true; break;
                case "ActionConcurrency": s.ActionConcurrency = 0; break;
                case "CallTimeoutSeconds": s.CallTimeoutSeconds = 0; break;
                case "ActionAttempts": s.ActionAttempts = 0; break;
                case "UnforceRetrySeconds": s.UnforceRetrySeconds = -1; break;
                case "ReconcileSeconds": s.ReconcileSeconds = 1e9; break; // 31 years: no timer holds that
                case "StartupSnapshotSeconds": s.StartupSnapshotSeconds = double.NaN; break;
                case "TokenCacheSeconds": s.TokenCacheSeconds = -5; break;
                default: s.Queue = " "; break;
            }
        });

        Assert.Contains("Doctor:OpenStack:" + setting, error.Message);
    }

    [Theory]
    [InlineData("rabbit://doctor:hunter2@rabbit:56x72/", "host 1 of the URL has an invalid port '56x72'")]
    [InlineData("rabbit://doctor:hunter2@rabbit-1:5672,doctor:hunter2@:5672/", "host 2 of the URL has no host name")]
    [InlineData("rabbit://doctor:hunter2@[fd00::1:5672/", "without its closing ']'")]
    [InlineData("rabbit:///", "names no host")]
    public void Create_MalformedTransportUrl_RefusedSayingWhatWithoutThePassword(string url, string problem)
    {
        var error = Refused(o =>
        {
            o.Controller = "openstack";
            o.OpenStack.TransportUrl = url;
        });

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith("Doctor:OpenStack:TransportUrl (DOCTOR_TRANSPORT_URL) ", failure);
        Assert.Contains(problem, failure);
        Assert.DoesNotContain("hunter2", error.Message);
    }

    [Fact]
    public void Validate_MultiHostTransportUrl_Accepted()
    {
        var options = new OpenStackOptions
        {
            AuthUrl = "http://127.0.0.1:5000/v3", Username = "doctor", Password = "secret",
            TransportUrl = "rabbit://u:p@h1:5672,u:p@h2:5673/vhost", PublishNotifications = true,
        };

        Assert.Empty(options.Validate());
    }

    [Fact]
    public async Task Create_EmbeddedMode_OpenStackSettingsNotNeeded()
    {
        using var dir = new TempDirectory();
        await using var app = DoctorApp.Create([], o =>
        {
            o.DataDir = dir.Path;
            o.OpenStack = new OpenStackOptions();
        });

        Assert.NotNull(app);
    }

    [Fact]
    public void FromEnvironment_StandardClientVariables()
    {
        var variables = new Dictionary<string, string>
        {
            ["OS_AUTH_URL"] = "http://keystone:5000/v3", ["OS_USERNAME"] = "doctor", ["OS_PASSWORD"] = "pw", ["OS_PROJECT_NAME"] = "ops",
            ["OS_USER_DOMAIN_NAME"] = "users", ["OS_PROJECT_DOMAIN_NAME"] = "projects", ["OS_REGION_NAME"] = "RegionTwo",
            ["OS_INTERFACE"] = "internalURL", ["DOCTOR_TRANSPORT_URL"] = "rabbit://u:p@rabbit:5672/",
        };
        var options = new OpenStackOptions();

        options.FromEnvironment(variables.GetValueOrDefault);

        Assert.Equal(("http://keystone:5000/v3", "doctor", "pw", "ops"), (options.AuthUrl, options.Username, options.Password, options.ProjectName));
        Assert.Equal(("users", "projects", "RegionTwo", "internal"), (options.UserDomainName, options.ProjectDomainName, options.Region, options.Interface));
        Assert.Equal("rabbit://u:p@rabbit:5672/", options.TransportUrl);
        Assert.Empty(options.Validate());
    }

    [Fact]
    public void FromEnvironment_NothingSet_KeepsTheConfiguredValues()
    {
        var options = new OpenStackOptions { AuthUrl = "http://k/v3", Interface = "public", ProjectName = "svc" };

        options.FromEnvironment(_ => null);

        Assert.Equal(("http://k/v3", "public", "svc"), (options.AuthUrl, options.Interface, options.ProjectName));
    }

    [Fact]
    public void Transport_OsloUrl_FirstHostVhostAndCredentials()
    {
        var factory = Doctor.OpenStack.Messaging.Transport.Factory("rabbit://us%40er:p%3Ass@rabbit-1:5673,guest:guest@rabbit-2:5672/open%2Fstack?ssl=0", "t");

        Assert.Equal(("rabbit-1", 5673, "us@er", "p:ss", "open/stack"), (factory.HostName, factory.Port, factory.UserName, factory.Password, factory.VirtualHost));
        Assert.Equal(("rabbit", 5672, "/"), (Doctor.OpenStack.Messaging.Transport.Factory("rabbit://rabbit", "t").HostName, Doctor.OpenStack.Messaging.Transport.Factory("rabbit://rabbit", "t").Port, Doctor.OpenStack.Messaging.Transport.Factory("rabbit://rabbit", "t").VirtualHost));
        Assert.True(Doctor.OpenStack.Messaging.Transport.Factory("amqps://h", "t").Ssl.Enabled);
    }

    [Fact]
    public async Task OpenStackStatus_EmbeddedMode_404Problem()
    {
        using var dir = new TempDirectory();
        await using var app = DoctorApp.Create([], o =>
        {
            o.DataDir = dir.Path;
            o.AdminToken = OpenStackDoctor.AdminToken;
            o.ShutdownDrainSeconds = 0;
        }, builder =>
        {
            builder.WebHost.UseTestServer();
            builder.Logging.ClearProviders();
        });
        await app.StartAsync();
        using var client = app.GetTestClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/openstack");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + OpenStackDoctor.AdminToken);

        var problem = await OpenStackDoctor.ProblemAsync(await client.SendAsync(request), 404);

        Assert.Contains("--controller openstack", problem.GetProperty("detail").GetString());
        await app.StopAsync();
    }
}

/// <summary>OpenStack mode when the cloud is not (yet) reachable, or answers nonsense: Doctor serves anyway and says why.</summary>
public sealed class CloudTroubleTests
{
    [Fact]
    public async Task Start_KeystoneUnreachable_ServesAfterStartupSnapshotSecondsAndReportsTheError()
    {
        await using var cloud = await FakeCloud.StartAsync();
        var closed = $"http://127.0.0.1:{FreePort.Next()}/v3";

        await using var doctor = await OpenStackDoctor.StartAsync(cloud, o =>
        {
            o.AuthUrl = closed;
            o.StartupSnapshotSeconds = 0.2;
        });

        await OpenStackDoctor.JsonAsync(await doctor.GetAsync("/healthz", token: null), 200);
        JsonElement reconciliation = default;
        await Eventually.TrueAsync(async () =>
        {
            reconciliation = (await doctor.GetJsonAsync("/v1/openstack")).GetProperty("reconciliation");
            return reconciliation.GetProperty("last_error").ValueKind == JsonValueKind.String;
        }, "the failed read to be reported");
        Assert.Equal(0, reconciliation.GetProperty("passes").GetInt64());
        Assert.Contains(closed, reconciliation.GetProperty("last_error").GetString());
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("<html>proxy error</html>")]
    [InlineData("""{"services":[{"id":"svc-1","host":{"odd":true},"forced_down":"no"}]}""")]
    public async Task Start_NovaAnswersNonsense_DoctorKeepsRunningAndNothingIsRemoved(string body)
    {
        await using var cloud = await FakeCloud.StartAsync();
        cloud.AddCompute("compute-1", "svc-1");
        cloud.AddServer("vm-1", "tenant-a", "compute-1");
        await using var doctor = await OpenStackDoctor.StartAsync(cloud, o => o.StartupSnapshotSeconds = 10);
        cloud.Intercept = async (context, call) =>
        {
            if (!call.Path.EndsWith("/os-services", StringComparison.Ordinal))
                return false;
            context.Response.StatusCode = 200;
            await Microsoft.AspNetCore.Http.HttpResponseWritingExtensions.WriteAsync(context.Response, body);
            return true;
        };

        try
        {
            await doctor.ReconcileAsync();
        }
        catch (OpenStackException)
        {
            // the read is refused as a whole: fine, and nothing of it is applied
        }

        Assert.Equal(["vm-1"], (await doctor.GetJsonAsync("/v1/servers")).GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.Equal(["compute-1"], (await doctor.GetJsonAsync("/v1/hosts")).GetProperty("hosts").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        await OpenStackDoctor.JsonAsync(await doctor.GetAsync("/healthz", token: null), 200);
    }

    [Fact]
    public async Task Start_NovaAnswersHtml_TheSyncLoopSurvivesAndReportsIt()
    {
        // An exception escaping a BackgroundService stops the whole host: the loop must catch whatever the cloud causes.
        await using var cloud = await FakeCloud.StartAsync();
        cloud.Intercept = async (context, call) =>
        {
            if (!call.Path.EndsWith("/os-services", StringComparison.Ordinal))
                return false;
            context.Response.StatusCode = 200;
            await Microsoft.AspNetCore.Http.HttpResponseWritingExtensions.WriteAsync(context.Response, "<html>proxy error</html>");
            return true;
        };

        await using var doctor = await OpenStackDoctor.StartAsync(cloud, o => o.StartupSnapshotSeconds = 0.2);

        await Eventually.TrueAsync(async () =>
            (await doctor.GetJsonAsync("/v1/openstack")).GetProperty("reconciliation").GetProperty("last_error").ValueKind == JsonValueKind.String,
            "the failed read to be reported");
        var lifetime = (Microsoft.Extensions.Hosting.IHostApplicationLifetime)doctor.App.Services.GetService(typeof(Microsoft.Extensions.Hosting.IHostApplicationLifetime))!;
        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested, "the host was stopped by the sync loop");
        Assert.Contains("not JSON", (await doctor.GetJsonAsync("/v1/openstack")).GetProperty("reconciliation").GetProperty("last_error").GetString());
    }
}
