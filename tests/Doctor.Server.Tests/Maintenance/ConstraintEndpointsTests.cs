using Doctor.Server.Tests.Infrastructure;

namespace Doctor.Server.Tests.Maintenance;

/// <summary><c>/v1/instance/{id}</c> and <c>/v1/instance_group/{id}</c> (ETSI FEAT03 records, SPEC §6) on <see cref="Cloud"/>.</summary>
public sealed class ConstraintEndpointsTests : ApiTest
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await SeedCloudAsync();
    }

    [Fact]
    public async Task PutInstance_OwnServer_IsStoredWithItsProjectAndSurvivesRestart()
    {
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);

        var put = await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/instance/vm-a1", new
        {
            instance_id = "vm-a1", group_id = "grp-alpha", instance_name = "alpha-act", max_interruption_time = 5, migration_type = "LIVE_MIGRATE",
            resource_mitigation = true, lead_time = 30,
        }, alpha), 200);
        await Doctor.RestartAsync();

        var got = await Doctor.GetJsonAsync("/v1/instance/vm-a1", alpha);
        Assert.Equal(put.GetRawText(), got.GetRawText());
        Assert.Equal(Cloud.Alpha, got.GetProperty("project_id").GetString());
        Assert.Equal("LIVE_MIGRATE", got.GetProperty("migration_type").GetString());
        Assert.Equal(30, got.GetProperty("lead_time").GetInt32());
        Assert.Equal(5, got.GetProperty("max_interruption_time").GetInt32());
    }

    [Fact]
    public async Task InstanceGroup_PutGetDelete_RoundTrips()
    {
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);

        var put = await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/instance_group/grp-alpha", new
        {
            group_name = "alpha pair", anti_affinity_group = true, max_impacted_members = 1, recovery_time = 10, resource_mitigation = false,
        }, alpha), 200);
        Assert.Equal(Cloud.Alpha, put.GetProperty("project_id").GetString());
        Assert.True(put.GetProperty("anti_affinity_group").GetBoolean());
        Assert.Equal(10, (await Doctor.GetJsonAsync("/v1/instance_group/grp-alpha")).GetProperty("recovery_time").GetInt32());

        Assert.Equal(204, (int)(await Doctor.DeleteAsync("/v1/instance_group/grp-alpha", alpha)).StatusCode);
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/instance_group/grp-alpha", alpha), 404);
    }

    [Fact]
    public async Task Records_OfAnotherProject_Are404AndUntouched()
    {
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        var beta = await Doctor.CreateTokenAsync("project", Cloud.Beta);
        await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/instance_group/grp-alpha", new { recovery_time = 10 }, alpha), 200);
        await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/instance/vm-a1", new { lead_time = 1 }, alpha), 200);

        await Problem.AssertAsync(await Doctor.GetAsync("/v1/instance_group/grp-alpha", beta), 404);
        await Problem.AssertAsync(await Doctor.PutAsync("/v1/instance_group/grp-alpha", new { recovery_time = 0 }, beta), 404);
        await Problem.AssertAsync(await Doctor.DeleteAsync("/v1/instance_group/grp-alpha", beta), 404);
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/instance/vm-a1", beta), 404);
        await Problem.AssertAsync(await Doctor.PutAsync("/v1/instance/vm-a2", new { lead_time = 1 }, beta), 404); // alpha's server, no record yet
        await Problem.AssertAsync(await Doctor.PutAsync("/v1/instance/vm-x9", new { project_id = Cloud.Alpha }, beta), 400, "project_id");

        Assert.Equal(10, (await Doctor.GetJsonAsync("/v1/instance_group/grp-alpha", alpha)).GetProperty("recovery_time").GetInt32());
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/instance/vm-a2"), 404);
    }

    [Theory]
    [InlineData("/v1/instance/vm-a1", """{"migration_type":"TELEPORT"}""", "migration_type")]
    [InlineData("/v1/instance/vm-a1", """{"lead_time":-1}""", "lead_time")]
    [InlineData("/v1/instance/vm-a1", """{"instance_id":"vm-a2"}""", "instance_id")]
    [InlineData("/v1/instance/vm-a1", """{"project_id":"proj-beta"}""", "project_id")]
    [InlineData("/v1/instance_group/grp-alpha", """{"max_instances_per_host":0}""", "max_instances_per_host")]
    [InlineData("/v1/instance_group/grp-alpha", """{"max_impacted_members":-1}""", "max_impacted_members")]
    [InlineData("/v1/instance_group/grp-alpha", """{"recovery_time":86401}""", "recovery_time")]
    [InlineData("/v1/instance_group/grp-alpha", """{"anti_affinity_group":"no"}""", "anti_affinity_group")]
    public async Task Put_Invalid_Is400NamingTheField(string path, string body, string field)
    {
        await Problem.AssertAsync(await Doctor.PutAsync(path, body), 400, field);

        await Problem.AssertAsync(await Doctor.GetAsync(path), 404);
    }
}
