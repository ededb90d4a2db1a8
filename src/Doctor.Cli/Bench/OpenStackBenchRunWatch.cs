using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Doctor.Cli.Client;
using Doctor.OpenStack.Nova;

namespace Doctor.Cli.Bench;

public static partial class OpenStackBench
{
    /// <summary>Arrivals of one run, fed by the webhook receiver's thread.</summary>
    private sealed class RunWatch(HashSet<string> ids, long start, DateTime startUtc)
    {
        private readonly HashSet<string> _owner = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _aodh = new(StringComparer.Ordinal);
        private readonly TaskCompletionSource<long> _ownerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _aodhDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _webhooks;

        public Task<long> OwnerDone => _ownerDone.Task;

        public Task AodhDone => _aodhDone.Task;

        /// <summary>Arrival of the newest Aodh webhook of any kind (0: none yet).</summary>
        public long LastAodhArrival { get; private set; }

        public void Offer(ReceivedNotification received)
        {
            JsonNode? body;
            try
            {
                body = received.Json;
            }
            catch (JsonException)
            {
                return;
            }

            lock (_owner)
            {
                if (received.Path.StartsWith("/aodh", StringComparison.Ordinal))
                    OfferAodh(body, received.ArrivedTicks);
                else if (received.Path.StartsWith("/doctor", StringComparison.Ordinal) && body?["notification_type"]?.GetValue<string>() == "fault")
                {
                    foreach (var resource in body["resources"]?.AsArray() ?? [])
                    {
                        if (resource?["resource_type"]?.GetValue<string>() == "server" && resource["resource_id"]?.GetValue<string>() is { } id && ids.Contains(id))
                            _owner.Add(id);
                    }

                    if (_owner.Count == ids.Count)
                        _ownerDone.TrySetResult(received.ArrivedTicks);
                }
            }
        }

        private void OfferAodh(JsonNode? body, long arrived)
        {
            LastAodhArrival = arrived;
            var traits = Traits(body?["reason_data"]?["event"]?["traits"]);
            if (!traits.TryGetValue("instance_id", out var id) || !ids.Contains(id) || traits.GetValueOrDefault("state") != "error")
                return;
            // Only this run's notifications: a late one of an earlier run was generated before this run started.
            if (body?["reason_data"]?["event"]?["generated"]?.GetValue<string>() is { } generated
                && DateTime.TryParse(generated, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at)
                && at < startUtc)
                return;
            _webhooks++;
            _aodh.TryAdd(id, arrived);
            if (_aodh.Count == ids.Count)
                _aodhDone.TrySetResult();
        }

        public (double? First, double? Last, int Webhooks) Aodh()
        {
            lock (_owner)
            {
                return _aodh.Count == 0 ? (null, null, _webhooks)
                    : (Since(start, _aodh.Values.Min()), _aodh.Count == ids.Count ? Since(start, _aodh.Values.Max()) : null, _webhooks);
            }
        }

        /// <summary>Ceilometer event traits: <c>[[name, type, value], …]</c> (or <c>{name, value}</c> objects).</summary>
        private static Dictionary<string, string> Traits(JsonNode? node)
        {
            var traits = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var trait in node as JsonArray ?? [])
            {
                var (name, value) = trait switch
                {
                    JsonArray { Count: >= 3 } a => (a[0]?.ToString(), a[2]?.ToString()),
                    JsonObject obj => (obj["name"]?.ToString(), obj["value"]?.ToString()),
                    _ => (null, null),
                };
                if (name is not null && value is not null)
                    traits[name] = value;
            }

            return traits;
        }
    }
}
