using System.Text.RegularExpressions;
using Doctor.Server.Access;
using Doctor.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Role = global::Doctor.Access.Role;

namespace Doctor.Server.Tests.Access;

/// <summary>
/// Every endpoint of the app declares who may call it, and the declaration is what callers get: walks the route
/// table, so an endpoint added without an <see cref="AccessRule"/> fails here.
/// </summary>
public sealed partial class RouteTableTests(Xunit.Abstractions.ITestOutputHelper output) : ApiTest
{
    private static readonly string[] Callers = ["none", "admin", "monitor", "project"];

    [Fact]
    public async Task RouteTable_EveryEndpoint_DeclaresAccessRule()
    {
        var endpoints = Endpoints();
        Assert.NotEmpty(endpoints);
        var missing = endpoints.Where(e => e.Endpoint.Metadata.GetMetadata<AccessRule>() is null).Select(e => e.Display).ToList();
        Assert.True(missing.Count == 0, "endpoints without an AccessRule: " + string.Join(", ", missing));

        // Only the health check is public.
        var anonymous = endpoints.Where(e => e.Endpoint.Metadata.GetMetadata<AccessRule>()!.IsAnonymous).Select(e => e.Display).ToList();
        Assert.Equal(["GET /healthz"], anonymous);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task AnyEndpoint_EachCallerRole_GetsStatusOfItsRule()
    {
        await SeedCloudAsync();
        var tokens = new Dictionary<string, string?>
        {
            ["none"] = null,
            ["admin"] = Admin,
            ["monitor"] = await Doctor.CreateTokenAsync("monitor"),
            ["project"] = await Doctor.CreateTokenAsync("project", Cloud.Alpha),
        };

        var failures = new List<string>();
        var pairs = 0;
        foreach (var (endpoint, method, display) in Endpoints())
        {
            var rule = endpoint.Metadata.GetMetadata<AccessRule>() ?? new AccessRule([Role.Admin]);
            var path = Path(endpoint);
            foreach (var caller in Callers)
            {
                pairs++;
                var body = method is "POST" or "PUT" ? "{}" : null;
                var response = await Doctor.SendAsync(new HttpMethod(method), path, tokens[caller], body);
                var status = (int)response.StatusCode;
                var allowed = rule.IsAnonymous || caller != "none" && rule.Roles.Contains(Parse(caller));
                string? wrong = null;
                if (status >= 500)
                    wrong = "a server error";
                else if (rule.IsAnonymous && status is 401 or 403)
                    wrong = "public, yet refused";
                else if (!rule.IsAnonymous && caller == "none" && status != 401)
                    wrong = "expected 401 without a token";
                else if (!allowed && caller != "none" && status != 403)
                    wrong = $"expected 403: the rule allows {string.Join("/", rule.Roles)}";
                else if (allowed && status is 401 or 403)
                    wrong = "the rule allows this role, yet refused";
                if (wrong is not null)
                    failures.Add($"{method} {path} as {caller}: {status} ({wrong})");
            }
        }

        output.WriteLine($"{pairs} endpoint/caller pairs checked");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        // 42 endpoints × 4 callers when this was written (/v1/silences, /v1/devices and /v1/policy included); fewer
        // means the route table was not walked.
        Assert.True(pairs >= 168, $"only {pairs} endpoint/role pairs were checked");
    }

    [Fact]
    public void RouteTable_AdminResources_AllowOnlyAdmins()
    {
        // Tokens and silences (SPEC §1, §4) are admin resources: a role added to one of them by mistake would let a
        // tenant mute its neighbours' faults or mint credentials, and the table test above would call it allowed.
        string[] prefixes = ["/v1/tokens", "/v1/silences"];
        var routes = Endpoints().Where(e => prefixes.Any(p => e.Endpoint.RoutePattern.RawText!.StartsWith(p, StringComparison.Ordinal))).ToList();

        Assert.Equal(
            ["DELETE /v1/silences/{silenceId}", "DELETE /v1/tokens/{tokenId}", "GET /v1/silences", "GET /v1/silences/{silenceId}", "GET /v1/tokens",
             "GET /v1/tokens/{tokenId}", "POST /v1/silences", "POST /v1/tokens"],
            routes.Select(r => r.Display.TrimEnd('/')).Order(StringComparer.Ordinal)); // a group root reads "/v1/tokens/"
        Assert.All(routes, r => Assert.Equal([Role.Admin], r.Endpoint.Metadata.GetMetadata<AccessRule>()!.Roles));
    }

    [Fact]
    public void RouteTable_Maintenance_SessionsAdminOnlyProjectSideAdminAndProject()
    {
        // SPEC §6: sessions are the admin tool's; only the project side (/{sid}/{project_id}) is open to project members,
        // and their handlers confine them to their own project (MaintenanceEndpointsTests).
        var routes = Endpoints().Where(e => e.Endpoint.RoutePattern.RawText!.StartsWith("/v1/maintenance", StringComparison.Ordinal))
            .ToDictionary(r => r.Display.TrimEnd('/'), r => r.Endpoint.Metadata.GetMetadata<AccessRule>()!.Roles);

        Assert.Equal(
            ["DELETE /v1/maintenance/{sessionId}", "GET /v1/maintenance", "GET /v1/maintenance/{sessionId}", "GET /v1/maintenance/{sessionId}/detail",
             "GET /v1/maintenance/{sessionId}/{projectId}", "POST /v1/maintenance", "PUT /v1/maintenance/{sessionId}", "PUT /v1/maintenance/{sessionId}/{projectId}"],
            routes.Keys.Order(StringComparer.Ordinal));
        foreach (var (route, roles) in routes)
            Assert.Equal(route.EndsWith("{projectId}", StringComparison.Ordinal) ? [Role.Admin, Role.Project] : [Role.Admin], roles);
    }

    [Fact]
    public void RouteTable_OpenStackStatus_AdminOnly()
    {
        // GET /v1/openstack (OpenStack mode's sync, notification and controller-call counters) names the cloud's hosts
        // and errors: an admin's, mapped in both modes (404 in embedded mode) so the table test above always sees it.
        var route = Assert.Single(Endpoints(), e => e.Endpoint.RoutePattern.RawText == "/v1/openstack");

        Assert.Equal("GET", route.Method);
        Assert.Equal([Role.Admin], route.Endpoint.Metadata.GetMetadata<AccessRule>()!.Roles);
    }

    private static Role Parse(string caller) => caller switch
    {
        "admin" => Role.Admin,
        "monitor" => Role.Monitor,
        _ => Role.Project,
    };

    private List<(RouteEndpoint Endpoint, string Method, string Display)> Endpoints()
    {
        var source = Doctor.App.Services.GetRequiredService<EndpointDataSource>();
        var list = new List<(RouteEndpoint, string, string)>();
        foreach (var endpoint in source.Endpoints)
        {
            var route = Assert.IsType<RouteEndpoint>(endpoint);
            var methods = route.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
            Assert.True(methods is { Count: > 0 }, $"{route.RoutePattern.RawText} accepts any method");
            foreach (var method in methods!)
                list.Add((route, method, $"{method} {route.RoutePattern.RawText}"));
        }

        return list;
    }

    /// <summary>A concrete path for a route pattern: every parameter becomes an id nobody has.</summary>
    private static string Path(RouteEndpoint endpoint)
    {
        var raw = endpoint.RoutePattern.RawText ?? "/";
        var path = Parameter().Replace(raw, m => "nobody-" + m.Groups[1].Value.ToLowerInvariant());
        return path.StartsWith('/') ? path : "/" + path;
    }

    [GeneratedRegex(@"\{\*{0,2}([A-Za-z_]+)[^}]*\}")]
    private static partial Regex Parameter();
}
