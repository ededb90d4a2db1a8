using System.Net;
using Doctor.Server.Hosting;
using Doctor.Server.Tests.Infrastructure;
using Doctor.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Doctor.Server.Tests.Throttling;

/// <summary>
/// Per-token rate limits (SPEC §1: 429). Buckets in these tests refill once an hour, so what is limited does not
/// depend on how fast the machine runs the test.
/// </summary>
public sealed class RateLimitTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private static Task<DoctorHost> StartAsync(int eventsBurst = 1000, int apiBurst = 1000, TimeSpan? period = null, bool enabled = true) =>
        DoctorHost.StartAsync(configure: o =>
        {
            o.RateLimits.Enabled = enabled;
            o.RateLimits.Events.Burst = eventsBurst;
            o.RateLimits.Events.Refill = 1;
            o.RateLimits.Events.Period = period ?? Hour;
            o.RateLimits.Api.Burst = apiBurst;
            o.RateLimits.Api.Refill = 1;
            o.RateLimits.Api.Period = period ?? Hour;
        });

    private static object Event(int n) => new { id = $"evt-{n}", time = DoctorHost.Now(), type = "compute.host.temperature.high", details = new { hostname = "h-1" } };

    private static Task<HttpResponseMessage> PostEventAsync(DoctorHost doctor, int n, string token = DoctorHost.AdminToken) =>
        doctor.PostAsync("/v1/events", Event(n), token);

    private static async Task AssertLimitedAsync(HttpResponseMessage response)
    {
        var problem = await Problem.AssertAsync(response, 429, "rate limit");
        Assert.Equal("Too many requests", problem.GetProperty("title").GetString());
        var retryAfter = Assert.Single(response.Headers.GetValues("Retry-After"));
        Assert.True(int.TryParse(retryAfter, out var seconds) && seconds >= 1, $"Retry-After must be whole seconds ≥ 1, was '{retryAfter}'");
    }

    [Fact]
    public async Task Events_OverBurst_Returns429ProblemWithRetryAfter()
    {
        await using var doctor = await StartAsync(eventsBurst: 3);

        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await PostEventAsync(doctor, i)).StatusCode);
        var limited = await PostEventAsync(doctor, 3);

        await AssertLimitedAsync(limited);
        Assert.Equal(3600, int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Events_Limited_RequestIsNotRecorded()
    {
        await using var doctor = await StartAsync(eventsBurst: 1);
        await doctor.PostEventsAsync(Event(0));

        await AssertLimitedAsync(await PostEventAsync(doctor, 1));

        Assert.Single((await doctor.GetJsonAsync("/v1/events")).GetProperty("events").EnumerateArray());
    }

    [Fact]
    public async Task PutEvents_SharesTheEventsBucketWithPostV1Events()
    {
        await using var doctor = await StartAsync(eventsBurst: 2);

        Assert.Equal(HttpStatusCode.Accepted, (await PostEventAsync(doctor, 0)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await doctor.PutAsync("/events", Event(1))).StatusCode);

        await AssertLimitedAsync(await doctor.PutAsync("/events", Event(2)));
        await AssertLimitedAsync(await PostEventAsync(doctor, 3));
    }

    [Fact]
    public async Task Events_OverLimit_OtherApisStillServed()
    {
        await using var doctor = await StartAsync(eventsBurst: 1, apiBurst: 10);
        await doctor.PostEventsAsync(Event(0));
        await AssertLimitedAsync(await PostEventAsync(doctor, 1));

        await doctor.GetJsonAsync("/v1/hosts");
    }

    [Fact]
    public async Task Api_OverLimit_EventsStillAccepted()
    {
        await using var doctor = await StartAsync(eventsBurst: 10, apiBurst: 2);
        await doctor.GetJsonAsync("/v1/hosts");
        await doctor.GetJsonAsync("/v1/faults");

        await AssertLimitedAsync(await doctor.GetAsync("/v1/servers"));
        await AssertLimitedAsync(await doctor.PostAsync("/v1/tokens", new { role = "monitor" }));
        await doctor.PostEventsAsync(Event(0));
    }

    [Fact]
    public async Task OneToken_OverLimit_OtherTokensUnaffected()
    {
        await using var doctor = await StartAsync(eventsBurst: 1, apiBurst: 3);
        var monitorA = await doctor.CreateTokenAsync("monitor");
        var monitorB = await doctor.CreateTokenAsync("monitor");
        await doctor.PostEventsAsync(Event(0), monitorA);

        await AssertLimitedAsync(await PostEventAsync(doctor, 1, monitorA));

        await doctor.PostEventsAsync(Event(2), monitorB);
        await doctor.PostEventsAsync(Event(3)); // the admin token has its own bucket too
    }

    [Fact]
    public async Task OpenStackHeader_SameTokenSameBucket()
    {
        await using var doctor = await StartAsync(apiBurst: 1);
        await doctor.GetJsonAsync("/v1/hosts");

        await AssertLimitedAsync(await doctor.SendAsync(HttpMethod.Get, "/v1/hosts", DoctorHost.AdminToken, openStackHeader: true));
    }

    [Fact]
    public async Task Healthz_ManyRequests_NeverLimited()
    {
        await using var doctor = await StartAsync(eventsBurst: 1, apiBurst: 1);

        for (var i = 0; i < 20; i++)
            Assert.Equal(HttpStatusCode.OK, (await doctor.GetAsync("/healthz", token: null)).StatusCode);
        for (var i = 0; i < 20; i++)
            Assert.Equal(HttpStatusCode.OK, (await doctor.GetAsync("/healthz")).StatusCode); // even with a token
    }

    [Fact]
    public async Task WithoutCredentials_Answered401NotCountedAgainstAnyToken()
    {
        await using var doctor = await StartAsync(apiBurst: 1);

        for (var i = 0; i < 5; i++)
            await Problem.AssertAsync(await doctor.GetAsync("/v1/hosts", token: null), 401);
        await Problem.AssertAsync(await doctor.GetAsync("/v1/hosts", token: "dr_unknown-token-0123456789"), 401);

        await doctor.GetJsonAsync("/v1/hosts");
    }

    [Fact]
    public async Task Disabled_ManyRequests_NeverLimited()
    {
        await using var doctor = await StartAsync(eventsBurst: 1, apiBurst: 1, enabled: false);

        for (var i = 0; i < 10; i++)
        {
            await doctor.PostEventsAsync(Event(i));
            await doctor.GetJsonAsync("/v1/hosts");
        }
    }

    [Fact]
    public async Task Limited_AfterThePeriod_AcceptedAgain()
    {
        await using var doctor = await StartAsync(apiBurst: 1, period: TimeSpan.FromMilliseconds(200));
        await doctor.GetJsonAsync("/v1/hosts");
        // The refill may already have come on a slow machine; only the recovery is asserted, within a bound.
        await Eventually.TrueAsync(async () => (await doctor.GetAsync("/v1/hosts")).StatusCode == HttpStatusCode.TooManyRequests, "the bucket to run dry");

        await Eventually.TrueAsync(async () => (await doctor.GetAsync("/v1/hosts")).StatusCode == HttpStatusCode.OK, "the bucket to refill");
    }

    [Fact]
    public async Task Defaults_BenchmarkLikeBursts_NeverLimited()
    {
        // A fault-benchmark-like burst on the API and a bulk-ingest-like burst of event posts, at full speed from
        // one token: the defaults must not notice either.
        await using var doctor = await DoctorHost.StartAsync();
        var requests = new List<Task<HttpResponseMessage>>();
        for (var i = 0; i < 400; i++)
            requests.Add(doctor.GetAsync("/v1/faults?state=active"));
        for (var i = 0; i < 200; i++)
            requests.Add(PostEventAsync(doctor, i));

        var answers = await Task.WhenAll(requests);

        Assert.DoesNotContain(answers, a => a.StatusCode == HttpStatusCode.TooManyRequests);
    }

    [Theory]
    [InlineData("Events", "Burst")]
    [InlineData("Events", "Refill")]
    [InlineData("Api", "Burst")]
    [InlineData("Api", "Refill")]
    [InlineData("Api", "Period")]
    public void InvalidSetting_StartFailsNamingIt(string bucket, string setting)
    {
        using var dir = new TempDirectory();

        var error = Assert.Throws<OptionsValidationException>(() => DoctorApp.Create([], o =>
        {
            o.DataDir = dir.Path;
            var b = bucket == "Events" ? o.RateLimits.Events : o.RateLimits.Api;
            switch (setting)
            {
                case "Burst": b.Burst = 0; break;
                case "Refill": b.Refill = -5; break;
                default: b.Period = TimeSpan.Zero; break;
            }
        }));

        Assert.Contains($"Doctor:RateLimits:{bucket}:{setting}", error.Message);
    }

    [Fact]
    public async Task Settings_FromConfiguration_PartialSectionKeepsOtherDefaults()
    {
        using var dir = new TempDirectory();
        var app = DoctorApp.Create(
            ["--Doctor:RateLimits:Events:Burst=2"],
            o =>
            {
                o.DataDir = dir.Path;
                o.AdminToken = DoctorHost.AdminToken;
            },
            b => b.WebHost.UseTestServer());
        var options = app.Services.GetRequiredService<IOptions<DoctorServerOptions>>().Value.RateLimits;

        Assert.True(options.Enabled);
        Assert.Equal(2, options.Events.Burst);
        Assert.Equal(DoctorConstants.RateLimitEventsPerSecond, options.Events.Refill);
        Assert.Equal(DoctorConstants.RateLimitApiBurst, options.Api.Burst);
        Assert.Equal(DoctorConstants.RateLimitApiPerSecond, options.Api.Refill);
        Assert.Equal(TimeSpan.FromSeconds(1), options.Api.Period);
        await app.DisposeAsync();
    }
}
