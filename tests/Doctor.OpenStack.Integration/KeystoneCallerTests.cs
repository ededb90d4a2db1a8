using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Doctor.OpenStack.Integration.Infrastructure;
using Xunit.Abstractions;

namespace Doctor.OpenStack.Integration;

/// <summary>
/// OpenStack users call Doctor with the Keystone tokens they already have (<c>X-Auth-Token</c>): a project member is a
/// project caller of its Keystone project and sees only that project's servers, another project's user does not learn
/// they exist, a Keystone admin is Doctor's admin, and a token Keystone does not know is refused.
/// </summary>
public sealed class KeystoneCallerTests(ITestOutputHelper output, Notes notes) : CloudScenario(output, notes, "keystone callers")
{

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Cloud.GrantRoleAsync("admin", "demo2", "admin");
    }

    [OpenStackFact]
    public async Task KeystoneTokens_ProjectMembersSeeTheirOwnOnly_AdminIsAdmin_UnknownRefused()
    {
        var doctor = Service = await OpenStackDoctor.StartAsync();
        var boots = await Task.WhenAll(Cloud.BootAsync(Aio.AdminInDemo, "kc-demo", Aio.Host2), Cloud.BootAsync(Aio.AdminInDemo2, "kc-demo2", Aio.Host2));
        var (mine, theirs) = (boots[0], boots[1]);
        foreach (var id in boots)
            await Expect.ServerOnAsync(doctor, Cloud, id, Aio.Host2);
        var demo = await Cloud.TokenAsync(Aio.Demo);
        var demo2 = await Cloud.TokenAsync(Aio.Demo2);
        var admin = await Cloud.TokenAsync(Aio.Admin);

        using (var api = doctor.Client(demo.Token))
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var servers = (await api.SendJsonAsync(HttpMethod.Get, "/v1/servers?limit=1000"))["servers"]!.AsArray();
            Notes.Took("first call with a demo Keystone token (validated with Keystone)", watch.Elapsed);
            Assert.Contains(servers, s => s!["id"]!.GetValue<string>() == mine);
            Assert.DoesNotContain(servers, s => s!["id"]!.GetValue<string>() == theirs);
            Assert.All(servers, s => Assert.Equal(demo.ProjectId, s!["project_id"]!.GetValue<string>()));
            Assert.All(servers, s => Assert.Null(s!["host"])); // a tenant sees host_id, never the host's name
            watch.Restart();
            var one = await api.SendJsonAsync(HttpMethod.Get, $"/v1/servers/{mine}");
            Notes.Took("second call with the same token (cached)", watch.Elapsed);
            Assert.Equal("UP", one["host_status"]!.GetValue<string>());
            Assert.Equal(404, await api.StatusOfAsync($"/v1/servers/{theirs}"));
            Assert.Equal(403, await api.StatusOfAsync("/v1/hosts")); // a known caller without the role
            // A subscription to another project's server is refused as if it did not exist.
            await api.SendJsonAsync(HttpMethod.Post, "/v1/subscriptions", new JsonObject
            {
                ["callback_url"] = "http://127.0.0.1:9/never", ["filter"] = new JsonObject { ["resource_ids"] = new JsonArray(theirs) },
            }, expect: 404);
        }

        using (var api = doctor.Client(demo2.Token))
        {
            Assert.Equal(404, await api.StatusOfAsync($"/v1/servers/{mine}"));
            var servers = (await api.SendJsonAsync(HttpMethod.Get, "/v1/servers?limit=1000"))["servers"]!.AsArray();
            Assert.Contains(servers, s => s!["id"]!.GetValue<string>() == theirs);
            Assert.DoesNotContain(servers, s => s!["id"]!.GetValue<string>() == mine);
        }

        using (var api = doctor.Client(admin.Token))
        {
            var hosts = (await api.SendJsonAsync(HttpMethod.Get, "/v1/hosts"))["hosts"]!.AsArray();
            Assert.Contains(hosts, h => h!["name"]!.GetValue<string>() == Aio.Host2);
            Assert.Equal(Aio.Host2, (await api.SendJsonAsync(HttpMethod.Get, $"/v1/servers/{theirs}"))["host"]!.GetValue<string>());
            Assert.Equal(200, await api.StatusOfAsync("/v1/openstack"));
        }

        using (var api = doctor.Client("gAAAAABnot-a-real-keystone-token-" + Guid.NewGuid().ToString("N")))
        {
            var refused = await api.GetAsync("v1/servers");
            Assert.Equal(401, (int)refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        using (var api = doctor.Client())
        {
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "garbage");
            Assert.Equal(401, await api.StatusOfAsync("/v1/servers"));
        }
    }
}
