using Doctor.Access;
using Doctor.OpenStack.Actions;
using Doctor.OpenStack.Sync;
using Doctor.Serialization;
using Doctor.Server.Access;
using Doctor.Server.Http;

namespace Doctor.Server.OpenStack;

/// <summary><c>GET /v1/openstack</c> (admin): what OpenStack mode has done — reconciliation passes and repairs,
/// notifications consumed, controller calls made, failed and waiting.</summary>
public static class OpenStackEndpoints
{
    public static void MapOpenStack(this IEndpointRouteBuilder app, bool enabled)
    {
        app.MapGet("/v1/openstack", (IServiceProvider services) => enabled
            ? TypedResults.Json(services.GetRequiredService<CloudStatus>().View(services.GetRequiredService<ActionRunner>()), DoctorJson.Options)
            : Problems.NotFound("OpenStack mode status (Doctor runs with the embedded controller; start it with --controller openstack)"))
            .Allow(Role.Admin);
    }
}
