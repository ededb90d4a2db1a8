using System.Text;
using System.Text.Json.Nodes;
using Doctor.OpenStack.Sync;
using Doctor.OpenStack.Tests.Infrastructure;
using Doctor.Serialization;
using Doctor.State;

namespace Doctor.OpenStack.Tests.Sync;

/// <summary>
/// Mutated real messages (bytes flipped, cut, repeated; JSON values swapped for other kinds) never make
/// <see cref="OsloNotification.Read"/> or <see cref="MapSync.Apply"/> throw, and never put a key into the map that the API
/// could not serve. Seeded, so a failure reproduces (the seed and the case are in the message).
/// </summary>
public sealed class OsloNotificationFuzzTests
{
    private const int Cases = 20_000;

    private static readonly JsonObject[] Seeds =
    [
        Oslo.Instance("instance.update", "vm-1", "tenant-a", "compute-1"),
        Oslo.Instance("instance.delete.end", "vm-1", "tenant-a", "compute-1", state: "deleted"),
        Oslo.LegacyInstance("compute.instance.update", "vm-2", "tenant-b", "compute-2"),
        Oslo.ServiceUpdate("compute-1", "svc-1", disabled: true, forcedDown: true, zone: "az-1"),
        Oslo.Port("port.update.end", "port-1", "vm-1", "tenant-a", "compute-1"),
        Oslo.PortDelete("port-1"),
    ];

    private static readonly JsonNode?[] Replacements =
    [
        null, 0, -1, 1e300, true, false, "", "/", "..", "a/b", new string('x', 300), "\u0000", "\ud800", "compute-1", "vm-1", "port-1",
        new JsonArray(), new JsonArray("vm-1"), new JsonObject(), new JsonObject { ["id"] = "vm-1" },
    ];

    [Fact]
    public void Read_MutatedMessages_NeverThrowNorCorruptTheMap()
    {
        const int seed = 20260131;
        var random = new Random(seed);
        for (var i = 0; i < Cases; i++)
        {
            var bytes = Mutate(random, Seeds[random.Next(Seeds.Length)]);
            try
            {
                var editor = new StateEditor(OsloNotificationTests.Seeded(), OsloNotificationTests.Start);
                var (_, changes) = OsloNotification.Read(bytes);
                foreach (var change in changes)
                    MapSync.Apply(editor.Map, change, OsloNotificationTests.Start.AddSeconds(1));
                var map = editor.Build().Map;
                foreach (var key in map.Hosts.After(null).Select(h => h.Name).Concat(map.Servers.After(null).Select(s => s.Id)).Concat(map.Ports.After(null).Select(p => p.Id)))
                    Assert.True(Fields.IsIdentifier(key) && !key.Contains('/') && key is not ("." or ".."), $"a key the API cannot serve: {key}");
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"case {i} (seed {seed}) threw {ex.GetType().Name}: {ex.Message}\n{Encoding.UTF8.GetString(bytes)}");
            }
        }
    }

    private static byte[] Mutate(Random random, JsonObject seed)
    {
        var message = (JsonObject)seed.DeepClone();
        // Structural: replace one value somewhere in the payload with a value of another kind.
        if (random.Next(2) == 0 && message["payload"] is JsonObject payload)
        {
            var target = payload["nova_object.data"] as JsonObject ?? payload["port"] as JsonObject ?? payload;
            var keys = target.Select(p => p.Key).ToList();
            if (keys.Count > 0)
            {
                var replacement = Replacements[random.Next(Replacements.Length)];
                target[keys[random.Next(keys.Count)]] = replacement?.DeepClone();
            }
        }

        var bytes = random.Next(2) == 0 ? Oslo.V2(message) : Oslo.V1(message);
        // Byte level: a few flips, a cut, a repeat.
        var list = bytes.ToList();
        var edits = random.Next(0, 4);
        for (var e = 0; e < edits && list.Count > 0; e++)
        {
            var at = random.Next(list.Count);
            switch (random.Next(4))
            {
                case 0:
                    list[at] = (byte)random.Next(256);
                    break;
                case 1:
                    list.RemoveRange(at, list.Count - at);
                    break;
                case 2:
                    list.InsertRange(at, list.GetRange(at, Math.Min(8, list.Count - at)));
                    break;
                default:
                    list.Insert(at, (byte)"{}[]\",:\\"[random.Next(8)]);
                    break;
            }
        }

        return [.. list];
    }
}
