using System.Text.Json.Nodes;
using Doctor.Access;
using Doctor.OpenStack.Keystone;
using Doctor.OpenStack.Tests.Infrastructure;
using Doctor.Testing;
using Microsoft.AspNetCore.Http;

namespace Doctor.OpenStack.Tests.Keystone;

/// <summary><see cref="KeystoneTokens"/>: callers' Keystone tokens validated, mapped to Doctor's roles and cached.</summary>
public sealed class KeystoneTokensTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _time = new();
    private FakeCloud _cloud = null!;
    private CloudClients _clients = null!;

    private KeystoneTokens Tokens => _clients.Tokens;

    public async Task InitializeAsync()
    {
        _cloud = await FakeCloud.StartAsync(_time);
        _clients = new CloudClients(_cloud, o => o.TokenCacheSeconds = 60);
    }

    public async Task DisposeAsync()
    {
        await _clients.DisposeAsync();
        await _cloud.DisposeAsync();
    }

    private Task<Token?> ValidateAsync(string secret) => Tokens.ValidateAsync(secret, CancellationToken.None).AsTask();

    // ---- roles ---------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Validate_AdminRoleInAnyProject_Admin()
    {
        var expires = _time.GetUtcNow().AddHours(2);
        _cloud.AddUserToken("gAAAAA-admin", "tenant-x", ["member", "admin"], expires);

        var token = await ValidateAsync("gAAAAA-admin");

        Assert.NotNull(token);
        Assert.Equal(Role.Admin, token.Role);
        Assert.Null(token.ProjectId);
        Assert.Equal(expires, token.ExpiresAt);
        Assert.StartsWith("keystone:", token.TokenId);
        Assert.Equal(TokenSecrets.HashOf("gAAAAA-admin"), token.Hash);
        var validation = Assert.Single(_cloud.CallsTo("GET", "/auth/tokens"));
        Assert.Equal("gAAAAA-admin", validation.Header("X-Subject-Token"));
        Assert.StartsWith("svc-", validation.Header("X-Auth-Token")); // Doctor's own service token asks
    }

    [Theory]
    [InlineData("member")]
    [InlineData("reader")]
    [InlineData("load-balancer_member")]
    public async Task Validate_AnyRoleInAProject_ThatProject(string role)
    {
        _cloud.AddUserToken("gAAAAA-member", "tenant-x", [role]);

        var token = await ValidateAsync("gAAAAA-member");

        Assert.NotNull(token);
        Assert.Equal((Role.Project, "tenant-x"), (token.Role, token.ProjectId));
    }

    [Fact]
    public async Task Validate_ProjectTokenWithoutRoles_Refused()
    {
        _cloud.AddUserToken("gAAAAA-none", "tenant-x", []);

        Assert.Null(await ValidateAsync("gAAAAA-none"));
    }

    [Fact]
    public async Task Validate_UnscopedOrDomainTokenWithoutAdmin_Refused()
    {
        _cloud.AddUserToken("gAAAAA-unscoped", null, ["member"]);

        Assert.Null(await ValidateAsync("gAAAAA-unscoped"));
    }

    [Fact]
    public async Task Validate_ConfiguredAdminRoles_OnlyThoseMakeAnAdmin()
    {
        _clients.Options.AdminRoles = ["cloud-admin"];
        _cloud.AddUserToken("gAAAAA-plain-admin", "tenant-x", ["admin"]);
        _cloud.AddUserToken("gAAAAA-cloud-admin", "tenant-y", ["cloud-admin"]);

        Assert.Equal(Role.Project, (await ValidateAsync("gAAAAA-plain-admin"))!.Role);
        Assert.Equal(Role.Admin, (await ValidateAsync("gAAAAA-cloud-admin"))!.Role);
    }

    [Fact]
    public async Task Validate_UnknownToken_Refused()
    {
        Assert.Null(await ValidateAsync("gAAAAA-never-issued"));
        Assert.Single(_cloud.CallsTo("GET", "/auth/tokens"));
    }

    [Theory]
    [InlineData("tökén")]
    [InlineData("token with spaces")]
    [InlineData("tab\there")]
    public async Task Validate_SecretNoKeystoneTokenLooksLike_RefusedWithoutAskingKeystone(string secret)
    {
        Assert.Null(await ValidateAsync(secret));
        Assert.Empty(_cloud.CallsTo("GET", "/auth/tokens"));
    }

    [Fact]
    public void Map_MalformedTokenBodies_NeverAnAdmin()
    {
        var h = TokenSecrets.HashOf("x");
        Assert.Null(KeystoneTokens.Map(null, h, ["admin"]));
        Assert.Null(KeystoneTokens.Map(JsonNode.Parse("{}"), h, ["admin"]));
        Assert.Null(KeystoneTokens.Map(JsonNode.Parse("""{"roles":[]}"""), h, ["admin"]));
        Assert.Null(KeystoneTokens.Map(JsonNode.Parse("""{"roles":[{"id":"x"}],"project":{"id":"p"}}"""), h, ["admin"]));
    }

    // ---- caching -------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Validate_AgainWithinTokenCacheSeconds_KeystoneAskedOnce()
    {
        _cloud.AddUserToken("gAAAAA-member", "tenant-x", ["member"]);

        await ValidateAsync("gAAAAA-member");
        _time.Advance(TimeSpan.FromSeconds(59));
        var cached = await ValidateAsync("gAAAAA-member");

        Assert.Equal("tenant-x", cached!.ProjectId);
        Assert.Single(_cloud.CallsTo("GET", "/auth/tokens"));
    }

    [Fact]
    public async Task Validate_AfterTokenCacheSeconds_KeystoneAskedAgainAndARevocationSeen()
    {
        _cloud.AddUserToken("gAAAAA-member", "tenant-x", ["member"]);
        await ValidateAsync("gAAAAA-member");
        _cloud.UserTokens.TryRemove("gAAAAA-member", out _); // revoked in Keystone

        _time.Advance(TimeSpan.FromSeconds(61));

        Assert.Null(await ValidateAsync("gAAAAA-member"));
        Assert.Equal(2, _cloud.CallsTo("GET", "/auth/tokens").Count);
    }

    [Fact]
    public async Task Validate_TokenExpiringBeforeTheCacheTime_NotTrustedPastItsExpiry()
    {
        _cloud.AddUserToken("gAAAAA-short", "tenant-x", ["member"], _time.GetUtcNow().AddSeconds(20));
        await ValidateAsync("gAAAAA-short");

        _time.Advance(TimeSpan.FromSeconds(21));
        var again = await ValidateAsync("gAAAAA-short");

        Assert.Equal(2, _cloud.CallsTo("GET", "/auth/tokens").Count);
        Assert.True(again is null || again.IsExpired(_time.GetUtcNow()), "an expired token never authorizes");
    }

    [Fact]
    public async Task Validate_RefusedToken_RememberedTenSecondsThenAskedAgain()
    {
        Assert.Null(await ValidateAsync("gAAAAA-bad"));
        for (var i = 0; i < 50; i++)
            Assert.Null(await ValidateAsync("gAAAAA-bad"));
        Assert.Single(_cloud.CallsTo("GET", "/auth/tokens")); // a bad token cannot make Doctor hammer Keystone

        _cloud.AddUserToken("gAAAAA-bad", "tenant-x", ["member"]); // issued meanwhile
        _time.Advance(TimeSpan.FromSeconds(11));

        Assert.NotNull(await ValidateAsync("gAAAAA-bad"));
        Assert.Equal(2, _cloud.CallsTo("GET", "/auth/tokens").Count);
    }

    // ---- Keystone in trouble --------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(403)]
    public async Task Validate_KeystoneAnswersAnError_OpenStackExceptionAndNothingCached(int status)
    {
        _cloud.AddUserToken("gAAAAA-member", "tenant-x", ["member"]);
        await _clients.Session.TokenAsync(CancellationToken.None);
        var failing = true;
        _cloud.Intercept = async (context, call) =>
        {
            if (!failing || call.Method != "GET")
                return false;
            await FakeCloud.WriteAsync(context, status, new JsonObject { ["error"] = new JsonObject { ["code"] = status } });
            return true;
        };

        var error = await Assert.ThrowsAsync<OpenStackException>(() => ValidateAsync("gAAAAA-member"));
        failing = false;

        Assert.Equal(status, error.Status);
        Assert.Equal(Role.Project, (await ValidateAsync("gAAAAA-member"))!.Role); // the failure was not remembered as a refusal
    }

    [Fact]
    public async Task Validate_KeystoneAnswersGarbage_OpenStackException()
    {
        await _clients.Session.TokenAsync(CancellationToken.None);
        _cloud.Intercept = async (context, call) =>
        {
            if (call.Method != "GET")
                return false;
            context.Response.StatusCode = 200;
            await context.Response.WriteAsync("""{"token":{"roles":"admin","expires_at":false}}""");
            return true;
        };

        await Assert.ThrowsAsync<OpenStackException>(() => ValidateAsync("gAAAAA-x"));
    }

    [Fact]
    public async Task Validate_KeystoneGone_OpenStackException()
    {
        await _clients.Session.TokenAsync(CancellationToken.None);
        await _cloud.DisposeAsync(); // stopped: connections refused

        var error = await Assert.ThrowsAsync<OpenStackException>(() => ValidateAsync("gAAAAA-member"));

        Assert.Contains("did not answer", error.Message);
    }

    [Fact]
    public async Task Validate_DoctorsOwnServiceTokenExpired_LogsInAgainAndValidates()
    {
        _cloud.AddUserToken("gAAAAA-member", "tenant-x", ["member"]);
        await _clients.Session.TokenAsync(CancellationToken.None);
        _cloud.RevokeServiceTokens();

        var token = await ValidateAsync("gAAAAA-member");

        Assert.Equal("tenant-x", token!.ProjectId);
        Assert.Equal(2, _cloud.TokensIssued);
    }

    [Fact]
    public async Task Validate_FloodOfUnknownTokens_AtMostMaxInFlightSentToKeystoneAtOnce()
    {
        // A call timeout far beyond the test's own waits: the bound is on how many, never on how fast.
        await using var clients = new CloudClients(_cloud, o => o.CallTimeoutSeconds = 600);
        await clients.Session.TokenAsync(CancellationToken.None);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inFlight = 0;
        var most = 0;
        _cloud.Intercept = async (context, call) =>
        {
            if (call.Method != "GET")
                return false;
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref most, now);
            await release.Task;
            Interlocked.Decrement(ref inFlight);
            await FakeCloud.WriteAsync(context, 404, new JsonObject { ["error"] = new JsonObject { ["code"] = 404 } });
            return true;
        };

        var flood = Enumerable.Range(0, KeystoneTokens.MaxInFlight * 3)
            .Select(i => clients.Tokens.ValidateAsync($"gAAAAA-unknown-{i}", CancellationToken.None).AsTask()).ToList();
        await Eventually.TrueAsync(() => Volatile.Read(ref inFlight) == KeystoneTokens.MaxInFlight, "the first validations to reach Keystone");
        await Task.Delay(50); // room for any validation that would overtake the bound to show up
        var heldBack = flood.Count(t => !t.IsCompleted);
        release.SetResult();
        var answers = await Task.WhenAll(flood);

        Assert.Equal(KeystoneTokens.MaxInFlight, Volatile.Read(ref most));
        Assert.Equal(flood.Count, heldBack);
        Assert.All(answers, Assert.Null); // every one was asked in the end, none refused for being queued
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
                return;
            seen = previous;
        }
    }
}
