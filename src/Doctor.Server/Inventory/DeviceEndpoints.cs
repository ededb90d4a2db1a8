using Doctor.Access;
using Doctor.Control;
using Doctor.Inventory;
using Doctor.State;
using Doctor.Server.Access;
using Doctor.Server.Http;

namespace Doctor.Server.Inventory;

/// <summary><c>/v1/devices</c>: switches, PDUs and the other devices hosts depend on (admin only, SPEC §2).</summary>
public static class DeviceEndpoints
{
    public static void MapDevices(this IEndpointRouteBuilder app)
    {
        var devices = app.MapGroup("/v1/devices").Allow(Role.Admin);
        devices.MapGet("", List);
        devices.MapGet("/{id}", Get);
        devices.MapPut("/{id}", Put);
        devices.MapDelete("/{id}", Delete);
    }

    private static IResult List(HttpRequest request, DoctorEngine engine)
    {
        var page = Page.From(request);
        var kind = Query.Identifier(request, "kind");
        var zone = Query.Identifier(request, "zone");
        var state = Query.Identifier(request, "state");
        if (state is not (null or "up" or "down"))
            throw new RequestException(Problems.BadRequest("state", "state must be up or down"));
        var feeds = Query.Identifier(request, "feeds");

        var map = engine.State.Map;
        // "Which devices feed this host?" is the operator's question when a rack goes dark: the reverse index answers it
        // without a scan of every device.
        IEnumerable<Device> candidates = feeds is not null
            ? Ordered.After(map.FeedersOf.Get(feeds), page.Marker).Select(id => map.Devices.Get(id)).OfType<Device>()
            : map.Devices.After(page.Marker);
        bool Matches(Device d) =>
            (kind is null || d.Kind == kind) &&
            (zone is null || d.Zone == zone) &&
            (state is null || DeviceView.StateOf(d) == state);
        return Page.Answer("devices", page.Take(candidates, Matches, d => d.Id, DeviceView.Of));
    }

    private static IResult Get(string id, DoctorEngine engine) =>
        engine.State.Map.Devices.Get(id) is { } device
            ? TypedResults.Json(DeviceView.Of(device), Serialization.DoctorJson.Options)
            : Problems.NotFound($"device {id}");

    private static async Task<IResult> Put(string id, HttpContext context, DoctorEngine engine, TimeProvider time)
    {
        InventoryValidation.Identifier(id, "id", required: true);
        var input = await RequestBody.ReadAsync<DeviceInput>(context);
        InventoryValidation.ToDevice(input, id, "device", null, time.GetUtcNow()); // validate before queueing
        var (device, created) = await engine.ExecuteAsync(editor =>
        {
            var current = editor.Map.Device(id);
            var next = InventoryValidation.ToDevice(input, id, "device", current, editor.Now);
            editor.Map.PutDevice(next);
            return (next, current is null);
        });
        var view = DeviceView.Of(device);
        return created ? TypedResults.Created($"/v1/devices/{Uri.EscapeDataString(id)}", view) : TypedResults.Json(view, Serialization.DoctorJson.Options);
    }

    /// <summary>Removes the device and its feed edges; the hosts and devices it fed stay as they are.</summary>
    private static async Task<IResult> Delete(string id, DoctorEngine engine)
    {
        var removed = await engine.ExecuteAsync(editor => editor.Map.RemoveDevice(id));
        return removed ? TypedResults.NoContent() : Problems.NotFound($"device {id}");
    }
}
