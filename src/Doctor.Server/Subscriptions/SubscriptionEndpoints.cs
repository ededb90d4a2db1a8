using System.Text.Json;
using Doctor.Access;
using Doctor.Control;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.Serialization;
using Doctor.Server.Access;
using Doctor.Server.Http;
using Doctor.Server.Inventory;
using Doctor.State;
using Doctor.Subscriptions;

namespace Doctor.Server.Subscriptions;

using Host = Doctor.Inventory.Host;
using Server = Doctor.Inventory.Server;

/// <summary>The northbound API: subscriptions, their current-state answer, and their deliveries.</summary>
public static class SubscriptionEndpoints
{
    public static void MapSubscriptions(this IEndpointRouteBuilder app)
    {
        var subscriptions = app.MapGroup("/v1/subscriptions").Allow(Role.Admin, Role.Project);
        subscriptions.MapPost("", Create);
        subscriptions.MapGet("", List);
        subscriptions.MapGet("/{id}", Get);
        subscriptions.MapDelete("/{id}", Delete);
        subscriptions.MapGet("/{id}/deliveries", Deliveries);
        subscriptions.MapPost("/{id}/deliveries/{notificationId}/redeliver", Redeliver);
    }

    private static async Task Create(HttpContext context, DoctorEngine engine, CallbackPolicy policy)
    {
        var caller = context.Caller();
        var input = await RequestBody.ReadAsync<SubscriptionInput>(context);
        if (policy.Check(input.CallbackUrl) is { } problem)
            throw new RequestException(Problems.BadRequest("callback_url", problem));
        var secret = SubscriptionValidation.Secret(input.Secret);
        var filter = SubscriptionValidation.ToFilter(input.Filter);
        var project = InventoryValidation.Identifier(input.ProjectId, "project_id");
        if (!caller.IsAdmin)
        {
            if (project is not null && project != caller.ProjectId)
                throw new RequestException(Problems.Forbidden("only an admin may subscribe for another project"));
            project = caller.ProjectId;
            var map = engine.State.Map;
            foreach (var id in filter.ResourceIds ?? [])
            {
                // A tenant never learns that another tenant's resource exists: foreign and unknown look alike.
                var owner = map.Servers.Get(id)?.ProjectId ?? map.Ports.Get(id)?.ProjectId;
                if (owner != project)
                    throw new RequestException(Problems.NotFound($"resource {id}"));
            }
        }

        var subscription = await engine.ExecuteAsync(editor =>
        {
            var created = new Subscription
            {
                SubscriptionId = Guid.CreateVersion7().ToString(), CallbackUrl = input.CallbackUrl!, Secret = secret, Filter = filter,
                ProjectId = project, CreatedAt = editor.Now, CreatedBy = caller.Token.TokenId,
            };
            editor.Subscriptions.Put(created);
            return created;
        });

        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.Location = $"/v1/subscriptions/{subscription.SubscriptionId}";
        await WriteSubscribeResponseAsync(context, subscription, engine.State);
    }

    /// <summary>
    /// The SubscribeResponse: the subscription and the current state of every resource it matches, streamed so
    /// that an admin subscription over a large map does not build one huge buffer.
    /// </summary>
    private static async Task WriteSubscribeResponseAsync(HttpContext context, Subscription subscription, DoctorState state)
    {
        await using var w = new Utf8JsonWriter(context.Response.BodyWriter, new JsonWriterOptions { Encoder = DoctorJson.Options.Encoder });
        var view = SubscriptionView.Of(subscription);
        w.WriteStartObject();
        w.WriteString("subscription_id", view.SubscriptionId);
        w.WriteString("callback_url", view.CallbackUrl);
        w.WritePropertyName("filter");
        JsonSerializer.Serialize(w, view.Filter, DoctorJson.Options);
        if (view.ProjectId is null)
            w.WriteNull("project_id");
        else
            w.WriteString("project_id", view.ProjectId);
        w.WriteBoolean("signed", view.Signed);
        w.WriteString("created_at", view.CreatedAt);
        w.WriteStartArray("resources");
        var tenant = !subscription.IsGlobal;
        var written = 0;
        foreach (var resource in CurrentResources(subscription, state))
        {
            NotificationWriter.WriteResource(w, resource, tenant, visible: tenant ? [] : null, subscription.Filter.Admits);
            if (++written % 512 == 0)
                await w.FlushAsync(context.RequestAborted);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static IEnumerable<NoticeResource> CurrentResources(Subscription subscription, DoctorState state)
    {
        var map = state.Map;
        var filter = subscription.Filter;
        bool Wants(ResourceType type) => filter.ResourceTypes is not { } types || types.Contains(type);

        IEnumerable<Server> servers;
        IEnumerable<Port> ports;
        IEnumerable<Host> hosts = [];
        if (filter.ResourceIds is { } ids)
        {
            servers = ids.Select(map.Servers.Get).OfType<Server>();
            ports = ids.Select(map.Ports.Get).OfType<Port>();
            if (subscription.IsGlobal)
                hosts = ids.Select(map.Hosts.Get).OfType<Host>();
        }
        else if (subscription.ProjectId is { } project)
        {
            servers = map.ServersByProject.Get(project).Select(id => map.Servers.Get(id)!);
            ports = map.PortsByProject.Get(project).Select(id => map.Ports.Get(id)!);
        }
        else
        {
            servers = map.Servers.After(null);
            ports = map.Ports.After(null);
            hosts = map.Hosts.After(null);
        }

        bool Visible(string? owner) => subscription.IsGlobal || (owner is not null && owner == subscription.ProjectId);

        if (Wants(ResourceType.Host))
        {
            foreach (var h in hosts)
                yield return new NoticeResource(ResourceType.Host, h.Name, null, h.Name, ResourceStates.Of(h), h.Status, HostIdentity.For(null, h.Name), Active(state, ResourceType.Host, h.Name));
        }

        if (Wants(ResourceType.Server))
        {
            foreach (var s in servers.Where(s => Visible(s.ProjectId)))
                yield return new NoticeResource(ResourceType.Server, s.Id, s.ProjectId, s.Host, ResourceStates.Of(s), map.HostStatusOf(s.Host), s.HostId, Active(state, ResourceType.Server, s.Id));
        }

        if (Wants(ResourceType.Port))
        {
            foreach (var p in ports.Where(p => Visible(p.ProjectId)))
                yield return new NoticeResource(ResourceType.Port, p.Id, p.ProjectId, p.Host, ResourceStates.Of(p), map.HostStatusOf(p.Host), p.HostId, Active(state, ResourceType.Port, p.Id));
        }
    }

    private static System.Collections.Immutable.ImmutableArray<Fault> Active(DoctorState state, ResourceType type, string id) =>
        [.. state.Faults.ActiveByResource.Get(Keys.Resource(type, id)).Select(faultId => state.Faults.All.Get(faultId)!)];

    private static Subscription? Visible(string id, HttpContext context, DoctorEngine engine)
    {
        var subscription = engine.State.Subscriptions.All.Get(id);
        var caller = context.Caller();
        return subscription is not null && (caller.IsAdmin || subscription.ProjectId == caller.ProjectId) ? subscription : null;
    }

    private static IResult List(HttpContext context, DoctorEngine engine)
    {
        var caller = context.Caller();
        var page = Page.From(context.Request);
        var book = engine.State.Subscriptions;
        IEnumerable<Subscription> candidates = caller.IsAdmin
            ? book.All.After(page.Marker)
            : Ordered.After(book.ByProject.Get(caller.ProjectId), page.Marker).Select(id => book.All.Get(id)!);
        return Page.Answer("subscriptions", page.Take(candidates, s => caller.IsAdmin || s.ProjectId == caller.ProjectId, s => s.SubscriptionId, SubscriptionView.Of));
    }

    private static IResult Get(string id, HttpContext context, DoctorEngine engine) =>
        Visible(id, context, engine) is { } s ? TypedResults.Json(SubscriptionView.Of(s), DoctorJson.Options) : Problems.NotFound($"subscription {id}");

    private static async Task<IResult> Delete(string id, HttpContext context, DoctorEngine engine)
    {
        if (Visible(id, context, engine) is null)
            return Problems.NotFound($"subscription {id}");
        return await engine.ExecuteAsync(editor => editor.Subscriptions.Remove(id)) ? TypedResults.NoContent() : Problems.NotFound($"subscription {id}");
    }

    /// <summary>A delivery as <c>/deliveries</c> lists it.</summary>
    public sealed record DeliveryView(
        string NotificationId, string NotificationType, string State, int Attempts, int? LastStatus, string? LastError,
        string CreatedAt, string? LastAttemptAt, string? NextAttemptAt, string? DeliveredAt)
    {
        public static DeliveryView Of(DeliveryInfo d) => new(
            d.NotificationId, d.NotificationType.Name(), d.State.ToString().ToLowerInvariant(), d.Attempts, d.LastStatus, d.LastError,
            Rfc3339.Format(d.CreatedAt), Format(d.LastAttemptAt), Format(d.NextAttemptAt), Format(d.DeliveredAt));

        private static string? Format(DateTimeOffset? t) => t is { } value ? Rfc3339.Format(value) : null;
    }

    private static IResult Deliveries(string id, HttpContext context, DoctorEngine engine, WebhookDispatcher dispatcher)
    {
        if (Visible(id, context, engine) is null)
            return Problems.NotFound($"subscription {id}");
        var page = Page.From(context.Request);
        var all = dispatcher.Deliveries(id);
        var start = page.Marker is null ? 0 : all.Select((d, i) => (d, i)).FirstOrDefault(x => x.d.NotificationId == page.Marker, (null!, -1)).Item2 + 1;
        return Page.Answer("deliveries", page.Take(all.Skip(start), _ => true, d => d.NotificationId, DeliveryView.Of));
    }

    private static IResult Redeliver(string id, string notificationId, HttpContext context, DoctorEngine engine, WebhookDispatcher dispatcher)
    {
        if (Visible(id, context, engine) is not { } subscription)
            return Problems.NotFound($"subscription {id}");
        return dispatcher.Redeliver(subscription, notificationId)
            ? TypedResults.Accepted((string?)null)
            : Problems.NotFound($"dead delivery {notificationId}");
    }
}
