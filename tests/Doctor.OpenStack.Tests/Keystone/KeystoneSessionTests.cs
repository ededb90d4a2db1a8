using System.Text.Json.Nodes;
using Doctor.OpenStack.Keystone;
using Doctor.OpenStack.Tests.Infrastructure;
using Doctor.Testing;
using Microsoft.AspNetCore.Http;

namespace Doctor.OpenStack.Tests.Keystone;

/// <summary><see cref="KeystoneSession"/>: Doctor's own service token and catalog, against a fake Keystone.</summary>
public sealed class KeystoneSessionTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _time = new();
    private FakeCloud _cloud = null!;

    public async Task InitializeAsync()
    {
        _cloud = await FakeCloud.StartAsync(_time);
        _cloud.AddCompute("compute-1");
    }

    public async Task DisposeAsync() => await _cloud.DisposeAsync();

    private CloudClients Clients(Action<OpenStackOptions>? configure = null) => new(_cloud, configure);

    [Fact]
    public async Task TokenAsync_First_LogsInWithAProjectScopedPasswordToken()
    {
        await using var clients = Clients();

        var token = await clients.Session.TokenAsync(CancellationToken.None);

        Assert.StartsWith("svc-", token);
        var login = Assert.Single(_cloud.CallsTo("POST", "/identity/v3/auth/tokens"));
        var auth = login.Json!["auth"]!;
        Assert.Equal("password", auth["identity"]!["methods"]![0]!.GetValue<string>());
        var user = auth["identity"]!["password"]!["user"]!;
        Assert.Equal((FakeCloud.ServiceUser, FakeCloud.ServicePassword, "Default"), (user["name"]!.GetValue<string>(), user["password"]!.GetValue<string>(), user["domain"]!["name"]!.GetValue<string>()));
        var project = auth["scope"]!["project"]!;
        Assert.Equal((FakeCloud.ServiceProject, "Default"), (project["name"]!.GetValue<string>(), project["domain"]!["name"]!.GetValue<string>()));
        // Sized, not chunked: Keystone under uwsgi cannot read a chunked body.
        Assert.NotNull(login.Header("Content-Length"));
        Assert.Null(login.Header("Transfer-Encoding"));
    }

    [Fact]
    public async Task TokenAsync_AgainWithinItsLifetime_SameTokenNoNewLogin()
    {
        await using var clients = Clients();

        var first = await clients.Session.TokenAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(54));
        var second = await clients.Session.TokenAsync(CancellationToken.None);

        Assert.Equal(first, second);
        Assert.Equal(1, _cloud.TokensIssued);
    }

    [Fact]
    public async Task TokenAsync_FiveMinutesBeforeExpiry_RenewedAhead()
    {
        await using var clients = Clients();

        var first = await clients.Session.TokenAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(55) + TimeSpan.FromSeconds(1));
        var renewed = await clients.Session.TokenAsync(CancellationToken.None);

        Assert.NotEqual(first, renewed);
        Assert.Equal(2, _cloud.TokensIssued);
    }

    [Fact]
    public async Task TokenAsync_ManyCallersAtOnce_OneLogin()
    {
        await using var clients = Clients();

        var tokens = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => clients.Session.TokenAsync(CancellationToken.None))));

        Assert.Single(tokens.Distinct());
        Assert.Equal(1, _cloud.TokensIssued);
    }

    [Fact]
    public async Task ServiceCall_TokenNoLongerValid_LogsInAgainOnceAndSucceeds()
    {
        await using var clients = Clients();
        await clients.Nova.ComputeServicesAsync(CancellationToken.None);
        _cloud.RevokeServiceTokens(); // e.g. Keystone's keys rotated

        var services = await clients.Nova.ComputeServicesAsync(CancellationToken.None);

        Assert.Single(services);
        Assert.Equal(2, _cloud.TokensIssued);
        Assert.Equal(3, _cloud.CallsTo("GET", "/os-services").Count); // 200, then 401 and 200 again
    }

    [Fact]
    public async Task ServiceCall_AlwaysUnauthorized_ReauthenticatesOnlyOnceThenFails()
    {
        await using var clients = Clients();
        _cloud.Intercept = async (context, call) =>
        {
            if (!call.Path.Contains("/os-services", StringComparison.Ordinal))
                return false;
            await FakeCloud.WriteAsync(context, 401, new JsonObject { ["error"] = new JsonObject { ["message"] = "policy does not allow" } });
            return true;
        };

        var error = await Assert.ThrowsAsync<OpenStackException>(() => clients.Nova.ComputeServicesAsync(CancellationToken.None));

        Assert.Equal(401, error.Status);
        Assert.Equal(2, _cloud.CallsTo("GET", "/os-services").Count);
        Assert.Equal(2, _cloud.TokensIssued);
        Assert.Contains("compute/os-services", error.Message);
    }

    // ---- the catalog -------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("internal", null, "internal", "RegionOne")]
    [InlineData("public", null, "public", "RegionOne")]
    [InlineData("admin", "RegionTwo", "admin", "RegionTwo")]
    [InlineData("public", "RegionTwo", "public", "RegionTwo")]
    public async Task EndpointAsync_ChoosesByInterfaceAndRegion(string @interface, string? region, string expectedInterface, string expectedRegion)
    {
        _cloud.Regions.Add("RegionTwo");
        await using var clients = Clients(o => (o.Interface, o.Region) = (@interface, region));

        Assert.Equal(_cloud.ComputeUrl(expectedInterface, expectedRegion), await clients.Session.EndpointAsync("compute", CancellationToken.None));
        Assert.Equal(_cloud.NetworkUrl(expectedInterface, expectedRegion), await clients.Session.EndpointAsync("network", CancellationToken.None));
    }

    [Fact]
    public async Task EndpointAsync_RegionNotInTheCatalog_ErrorNamesServiceInterfaceAndRegion()
    {
        await using var clients = Clients(o => o.Region = "RegionNine");

        var error = await Assert.ThrowsAsync<OpenStackException>(() => clients.Session.EndpointAsync("compute", CancellationToken.None));

        Assert.Contains("'compute'", error.Message);
        Assert.Contains("internal", error.Message);
        Assert.Contains("RegionNine", error.Message);
    }

    [Fact]
    public async Task EndpointAsync_ServiceNotInTheCatalog_Error()
    {
        await using var clients = Clients();

        var error = await Assert.ThrowsAsync<OpenStackException>(() => clients.Session.EndpointAsync("placement", CancellationToken.None));

        Assert.Contains("'placement'", error.Message);
    }

    [Fact]
    public void Endpoints_Catalog_FirstRegionListedWhenNoneIsAsked()
    {
        var catalog = JsonNode.Parse("""
            [{"type":"compute","endpoints":[
                {"interface":"public","region_id":"Two","url":"http://two/v2.1/"},
                {"interface":"public","region_id":"One","url":"http://one/v2.1"}]},
             {"type":"network","endpoints":[{"interface":"public","region":"One","url":"http://net"}]},
             {"type":"broken"},
             {"endpoints":[]}]
            """) as JsonArray;

        Assert.Equal("http://two/v2.1", ServiceCatalog.Endpoints(catalog, "public", null)["compute"]);
        Assert.Equal("http://one/v2.1", ServiceCatalog.Endpoints(catalog, "public", "One")["compute"]);
        Assert.Equal("http://net", ServiceCatalog.Endpoints(catalog, "public", "One")["network"]); // the older "region" key
        Assert.Empty(ServiceCatalog.Endpoints(catalog, "internal", null));
        Assert.Empty(ServiceCatalog.Endpoints(null, "public", null));
    }

    [Theory]
    [InlineData("http://keystone:5000/v3", "http://keystone:5000/v3/auth/tokens")]
    [InlineData("http://keystone:5000/v3/", "http://keystone:5000/v3/auth/tokens")]
    [InlineData("http://keystone:5000", "http://keystone:5000/v3/auth/tokens")]
    [InlineData("https://cloud.example/identity/", "https://cloud.example/identity/v3/auth/tokens")]
    public void Tokens_AuthUrlWithOrWithoutV3(string authUrl, string expected) => Assert.Equal(expected, KeystoneUrls.Tokens(authUrl));

    // ---- clear errors ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task TokenAsync_WrongPassword_ErrorNamesTheSettings()
    {
        await using var clients = Clients(o => o.Password = "wrong");

        var error = await Assert.ThrowsAsync<OpenStackException>(() => clients.Session.TokenAsync(CancellationToken.None));

        Assert.Equal(401, error.Status);
        Assert.Contains("'doctor'", error.Message);
        Assert.Contains("Username and Password", error.Message);
    }

    [Fact]
    public async Task TokenAsync_KeystoneNotListening_ErrorNamesIt()
    {
        var closed = $"http://127.0.0.1:{FreePort.Next()}/v3";
        await using var clients = Clients(o => o.AuthUrl = closed);

        var error = await Assert.ThrowsAsync<OpenStackException>(() => clients.Session.TokenAsync(CancellationToken.None));

        Assert.Contains(closed, error.Message);
        Assert.Contains("did not answer", error.Message);
    }

    [Fact]
    public async Task TokenAsync_KeystoneNeverAnswers_TimesOutNamingIt()
    {
        _cloud.Intercept = async (context, call) =>
        {
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }

            return true;
        };
        await using var clients = Clients(o => o.CallTimeoutSeconds = 0.2);

        var error = await Assert.ThrowsAsync<OpenStackException>(() => clients.Session.TokenAsync(CancellationToken.None));

        Assert.Contains("did not answer", error.Message);
    }

    [Theory]
    [InlineData(500, "application/json", """{"error":{"message":"An unexpected error prevented the server from fulfilling your request."}}""", "answered 500")]
    [InlineData(201, "text/html", "<html><body>Welcome to our proxy</body></html>", "could not be read")]
    [InlineData(201, "application/json", """{"token":{"expires_at":12345,"catalog":[]}}""", "could not be read")]
    [InlineData(201, "application/json", """{"token":{"expires_at":"the day after tomorrow"}}""", "could not be read")]
    [InlineData(201, "application/json", """{"nothing":"here"}""", "no 'token'")]
    [InlineData(201, "application/json", """{"token":{"catalog":[{"type":"compute","endpoints":[{"interface":7}]}]}}""", "could not be read")]
    public async Task TokenAsync_KeystoneAnswersSomethingElse_ClearOpenStackError(int status, string contentType, string body, string expected)
    {
        _cloud.Intercept = async (context, call) =>
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = contentType;
            context.Response.Headers["X-Subject-Token"] = "svc-odd";
            await context.Response.WriteAsync(body);
            return true;
        };
        await using var clients = Clients();

        var error = await Assert.ThrowsAsync<OpenStackException>(() => clients.Session.TokenAsync(CancellationToken.None));

        Assert.Contains(expected, error.Message);
        Assert.Contains("Keystone", error.Message);
    }

    [Fact]
    public async Task TokenAsync_SuccessWithoutSubjectToken_ErrorSaysSo()
    {
        _cloud.Intercept = async (context, call) =>
        {
            await FakeCloud.WriteAsync(context, 201, new JsonObject { ["token"] = new JsonObject() });
            return true;
        };
        await using var clients = Clients();

        var error = await Assert.ThrowsAsync<OpenStackException>(() => clients.Session.TokenAsync(CancellationToken.None));

        Assert.Contains("X-Subject-Token", error.Message);
    }

    [Fact]
    public async Task TokenAsync_AfterAFailedLogin_TriesAgainNextTime()
    {
        var refuse = true;
        _cloud.Intercept = async (context, call) =>
        {
            if (!refuse)
                return false;
            await FakeCloud.WriteAsync(context, 503, new JsonObject { ["error"] = "down" });
            return true;
        };
        await using var clients = Clients();

        await Assert.ThrowsAsync<OpenStackException>(() => clients.Session.TokenAsync(CancellationToken.None));
        refuse = false;

        Assert.StartsWith("svc-", await clients.Session.TokenAsync(CancellationToken.None));
    }
}
