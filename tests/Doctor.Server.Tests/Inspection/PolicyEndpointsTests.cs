using System.Diagnostics;
using System.Text.Json;
using Doctor.Inspection;
using Doctor.Server.Hosting;
using Doctor.Server.Tests.Infrastructure;
using Doctor.Testing;
using Microsoft.Extensions.Options;

namespace Doctor.Server.Tests.Inspection;

/// <summary><c>GET /v1/policy</c>, <c>POST /v1/policy/reload</c>, SIGHUP and <c>Doctor:PolicyFile</c> at start.</summary>
public sealed class PolicyEndpointsTests : IAsyncLifetime
{
    private const string Custom = """
        version: 1
        rules:
          - match: custom.thing.broken
            severity: minor
            probable_cause: custom thing broken
          - match: custom.thing.fixed
            clears: [custom.thing.broken]
        group: null
        """;

    private const string Other = """
        version: 1
        rules:
          - match: other.thing.broken
            severity: major
        """;

    private const string Bad = """
        version: 1
        rules:
          - match: custom.thing.broken
            severity: hgih
          - match: custom.thing.fixed
            clears: [custom.thing.broken]
            effect: host_down
        """;

    private readonly TempDirectory _files = new();
    private DoctorHost? _doctor;

    private string PolicyPath => Path.Combine(_files.Path, "policy.yaml");

    private DoctorHost Doctor => _doctor ?? throw new InvalidOperationException("not started");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_doctor is not null)
            await _doctor.DisposeAsync();
        _files.Dispose();
    }

    private async Task StartAsync(string? policy)
    {
        if (policy is not null)
            await File.WriteAllTextAsync(PolicyPath, policy);
        _doctor = await DoctorHost.StartAsync(configure: o => o.PolicyFile = policy is null ? null : PolicyPath);
    }

    [Fact]
    public async Task Get_NoPolicyFile_ShowsTheBuiltInPolicy()
    {
        await StartAsync(null);

        var body = await Doctor.GetJsonAsync("/v1/policy");

        Assert.Equal("built-in", body.GetProperty("source").GetString());
        Assert.True(DateTimeOffset.TryParse(body.GetProperty("loaded_at").GetString(), out _));
        var rules = body.GetProperty("rules");
        Assert.Equal(FailurePolicy.Default.Rules.Length, rules.GetArrayLength());
        var first = rules[0];
        Assert.Equal("compute.host.down", first.GetProperty("match").GetString());
        Assert.Equal("host", first.GetProperty("target").GetString());
        Assert.Equal("critical", first.GetProperty("severity").GetString());
        Assert.Equal("host_down", first.GetProperty("effect").GetString());
        var temperature = rules.EnumerateArray().Single(r => r.GetProperty("match").GetString() == "compute.host.temperature.high");
        Assert.Equal("60s", temperature.GetProperty("aggregate").GetProperty("window").GetString());
        Assert.Equal(1, body.GetProperty("group").GetProperty("more_than").GetInt32());
    }

    [Fact]
    public async Task Get_OfAFile_ShowsItInTheFilesShapeAndLoadsAgain()
    {
        await StartAsync(Custom);

        var body = await Doctor.GetJsonAsync("/v1/policy");

        Assert.Equal(PolicyPath, body.GetProperty("source").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("group").ValueKind);
        var rules = body.GetProperty("rules");
        Assert.Equal("minor", rules[0].GetProperty("severity").GetString());
        Assert.Equal("notify_only", rules[0].GetProperty("effect").GetString());
        Assert.Equal("custom thing broken", rules[0].GetProperty("probable_cause").GetString());
        Assert.False(rules[0].TryGetProperty("aggregate", out _));
        Assert.Equal("custom.thing.broken", rules[1].GetProperty("clears")[0].GetString());
        var again = PolicyFile.Parse($$"""{"version": 1, "rules": {{rules.GetRawText()}}, "group": null}""", "GET /v1/policy");
        Assert.Equal(2, again.Rules.Length);
    }

    [Fact]
    public async Task Reload_GoodFile_PutsItInForce()
    {
        await StartAsync(Custom);
        await Doctor.ImportAsync(Cloud.Inventory);
        var before = await Doctor.GetJsonAsync("/v1/policy");
        var ignored = await Doctor.PostEventAndWaitAsync("other.thing.broken", new { hostname = Cloud.Host1 });
        Assert.Equal("ignored", ignored.GetProperty("status").GetString());
        await File.WriteAllTextAsync(PolicyPath, Other);

        var reloaded = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/policy/reload", "{}"), 200);

        Assert.Equal(PolicyPath, reloaded.GetProperty("source").GetString());
        Assert.Equal(1, reloaded.GetProperty("rules").GetInt32());
        Assert.True(DateTimeOffset.Parse(reloaded.GetProperty("loaded_at").GetString()!) >= DateTimeOffset.Parse(before.GetProperty("loaded_at").GetString()!));
        var now = await Doctor.GetJsonAsync("/v1/policy");
        Assert.Equal("other.thing.broken", now.GetProperty("rules")[0].GetProperty("match").GetString());
        // Absent group: the default group rule.
        Assert.Equal("server_group.degraded", now.GetProperty("group").GetProperty("fault_type").GetString());
        // The engine inspects under the new policy from the next event on.
        var processed = await Doctor.PostEventAndWaitAsync("other.thing.broken", new { hostname = Cloud.Host1 });
        Assert.Equal("processed", processed.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Reload_BadFile_Answers422AndKeepsThePreviousPolicy()
    {
        await StartAsync(Custom);
        var before = await Doctor.GetJsonAsync("/v1/policy");
        await File.WriteAllTextAsync(PolicyPath, Bad);

        var problem = await Problem.AssertAsync(await Doctor.PostAsync("/v1/policy/reload", "{}"), 422, "rules[0].severity");

        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains(PolicyPath, detail);
        Assert.Contains("the previous policy stays in force", detail);
        var errors = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(2, errors.Count);
        Assert.StartsWith("rules[0].severity: \"hgih\" is not one of", errors[0]);
        Assert.StartsWith("rules[1]: a recovery rule (with clears) must not also set effect", errors[1]);
        var after = await Doctor.GetJsonAsync("/v1/policy");
        Assert.Equal(before.GetRawText(), after.GetRawText());
    }

    [Fact]
    public async Task Reload_FileGone_Answers422AndKeepsThePreviousPolicy()
    {
        await StartAsync(Custom);
        File.Delete(PolicyPath);

        var problem = await Problem.AssertAsync(await Doctor.PostAsync("/v1/policy/reload", "{}"), 422, "cannot be read");

        Assert.Equal(PolicyPath, problem.GetProperty("source").GetString());
        Assert.Equal("custom.thing.broken", (await Doctor.GetJsonAsync("/v1/policy")).GetProperty("rules")[0].GetProperty("match").GetString());
    }

    [Fact]
    public async Task Reload_NoPolicyFile_ReloadsTheBuiltInPolicy()
    {
        await StartAsync(null);

        var reloaded = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/policy/reload", "{}"), 200);

        Assert.Equal("built-in", reloaded.GetProperty("source").GetString());
        Assert.Equal(FailurePolicy.Default.Rules.Length, reloaded.GetProperty("rules").GetInt32());
    }

    [Fact]
    public async Task Reload_AsMonitor_IsForbidden()
    {
        await StartAsync(Custom);
        var monitor = await Doctor.CreateTokenAsync("monitor");

        await Problem.AssertAsync(await Doctor.PostAsync("/v1/policy/reload", "{}", monitor), 403);
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/policy", monitor), 403);
    }

    [Fact]
    public async Task Sighup_GoodFile_IsReloaded()
    {
        if (OperatingSystem.IsWindows())
            return; // no SIGHUP to send
        await StartAsync(Custom);
        await File.WriteAllTextAsync(PolicyPath, Other);

        using (var kill = Process.Start("kill", ["-HUP", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();

        await Eventually.TrueAsync(
            async () => (await Doctor.GetJsonAsync("/v1/policy")).GetProperty("rules")[0].GetProperty("match").GetString() == "other.thing.broken",
            "the policy to be reloaded on SIGHUP");
    }

    [Fact]
    public async Task Start_BadPolicyFile_FailsNamingTheFileAndEveryProblem()
    {
        await File.WriteAllTextAsync(PolicyPath, Bad);
        using var dir = new TempDirectory();

        var error = Assert.Throws<OptionsValidationException>(() => DoctorApp.Create([], o =>
        {
            o.DataDir = dir.Path;
            o.PolicyFile = PolicyPath;
        }));

        Assert.Contains("Doctor:PolicyFile (DOCTOR_POLICY_FILE)", error.Message);
        Assert.Contains(PolicyPath, error.Message);
        Assert.Contains("rules[0].severity: \"hgih\"", error.Message);
        Assert.Contains("rules[1]: a recovery rule", error.Message);
    }

    [Fact]
    public async Task Start_MissingPolicyFile_FailsNamingIt()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(_files.Path, "absent.yaml");

        var error = Assert.Throws<OptionsValidationException>(() => DoctorApp.Create([], o =>
        {
            o.DataDir = dir.Path;
            o.PolicyFile = path;
        }));

        Assert.Contains(path, error.Message);
        Assert.Contains("cannot be read", error.Message);
        await Task.CompletedTask;
    }
}
