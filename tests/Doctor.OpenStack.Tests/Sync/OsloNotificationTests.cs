using System.Text;
using System.Text.Json.Nodes;
using Doctor.Inventory;
using Doctor.OpenStack.Sync;
using Doctor.OpenStack.Tests.Infrastructure;
using Doctor.State;

namespace Doctor.OpenStack.Tests.Sync;

using Server = Doctor.Inventory.Server;

/// <summary>
/// <see cref="OsloNotification.Read"/> on the message shapes Nova and Neutron really send, in both envelopes, and on bodies
/// nobody should send: those give no change and never throw (one bad message must not stop the queue).
/// </summary>
public sealed class OsloNotificationTests
{
    private static (string? EventType, IReadOnlyList<CloudChange> Changes) Read(byte[] body) => OsloNotification.Read(body);

    public static TheoryData<string> Envelopes => ["v1", "v2"];

    private static byte[] Wrap(string envelope, JsonObject message) => envelope == "v2" ? Oslo.V2(message) : Oslo.V1(message);

    // ---- Nova, versioned ---------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(Envelopes))]
    public void Read_VersionedInstanceUpdate_ServerSeenWithHostProjectAndName(string envelope)
    {
        var (type, changes) = Read(Wrap(envelope, Oslo.Instance("instance.update", "4f1c0a2e-9b1d-4e8a-a1b3-0c6f2f0e9d11", "tenant-a", "compute-1", "web-1")));

        Assert.Equal("instance.update", type);
        var seen = Assert.IsType<CloudChange.ServerSeen>(Assert.Single(changes));
        Assert.Equal(new CloudChange.ServerSeen("4f1c0a2e-9b1d-4e8a-a1b3-0c6f2f0e9d11", "web-1", "tenant-a", "compute-1"), seen);
    }

    [Theory]
    [MemberData(nameof(Envelopes))]
    public void Read_VersionedInstanceCreateEnd_ServerSeen(string envelope)
    {
        var (_, changes) = Read(Wrap(envelope, Oslo.Instance("instance.create.end", "vm-1", "tenant-a", "compute-2")));

        Assert.Equal(new CloudChange.ServerSeen("vm-1", "web-1", "tenant-a", "compute-2"), Assert.Single(changes));
    }

    [Theory]
    [MemberData(nameof(Envelopes))]
    public void Read_VersionedInstanceDeleteEnd_ServerGone(string envelope)
    {
        var (_, changes) = Read(Wrap(envelope, Oslo.Instance("instance.delete.end", "vm-1", "tenant-a", "compute-2", state: "deleted")));

        Assert.Equal(new CloudChange.ServerGone("vm-1"), Assert.Single(changes));
    }

    [Fact]
    public void Read_VersionedInstanceDeleteStart_NothingYet()
    {
        var (type, changes) = Read(Oslo.V2(Oslo.Instance("instance.delete.start", "vm-1", "tenant-a", "compute-2", state: "active")));

        Assert.Equal("instance.delete.start", type);
        Assert.Empty(changes);
    }

    [Fact]
    public void Read_InstanceUpdateToStateDeleted_ServerGone()
    {
        var (_, changes) = Read(Oslo.V2(Oslo.Instance("instance.update", "vm-1", "tenant-a", "compute-2", state: "deleted")));

        Assert.Equal(new CloudChange.ServerGone("vm-1"), Assert.Single(changes));
    }

    [Fact]
    public void Read_InstanceCreateStartWithoutHost_ServerSeenWithoutHost()
    {
        var (_, changes) = Read(Oslo.V2(Oslo.Instance("instance.create.start", "vm-1", "tenant-a", null, state: "building")));

        Assert.Equal(new CloudChange.ServerSeen("vm-1", "web-1", "tenant-a", null), Assert.Single(changes));
    }

    [Theory]
    [MemberData(nameof(Envelopes))]
    public void Read_ServiceUpdate_ComputeSeenWithEnabledForcedAndZone(string envelope)
    {
        var (type, changes) = Read(Wrap(envelope, Oslo.ServiceUpdate("compute-3", "b2d1c6c4-aaaa-4bbb-8ccc-0123456789ab", disabled: true, forcedDown: true, zone: "az-2")));

        Assert.Equal("service.update", type);
        Assert.Equal(new CloudChange.ComputeSeen("compute-3", "b2d1c6c4-aaaa-4bbb-8ccc-0123456789ab", "az-2", Enabled: false, ForcedDown: true) { DisabledReason = "maintenance" }, Assert.Single(changes));
    }

    [Fact]
    public void Read_ServiceUpdateWithoutZone_ZoneUnknown()
    {
        var (_, changes) = Read(Oslo.V2(Oslo.ServiceUpdate("compute-3", "uuid-3", disabled: false, forcedDown: false)));

        Assert.Equal(new CloudChange.ComputeSeen("compute-3", "uuid-3", null, Enabled: true, ForcedDown: false), Assert.Single(changes));
    }

    [Theory]
    [InlineData("nova-scheduler")]
    [InlineData("nova-conductor")]
    public void Read_ServiceUpdateOfAnotherBinary_Nothing(string binary)
    {
        var (_, changes) = Read(Oslo.V2(Oslo.ServiceUpdate("controller", "uuid-c", false, false, binary: binary)));

        Assert.Empty(changes);
    }

    // ---- Nova, legacy --------------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(Envelopes))]
    public void Read_LegacyInstanceUpdate_ServerSeen(string envelope)
    {
        var (type, changes) = Read(Wrap(envelope, Oslo.LegacyInstance("compute.instance.update", "vm-7", "tenant-b", "compute-1", "db-1")));

        Assert.Equal("compute.instance.update", type);
        Assert.Equal(new CloudChange.ServerSeen("vm-7", "db-1", "tenant-b", "compute-1"), Assert.Single(changes));
    }

    [Theory]
    [MemberData(nameof(Envelopes))]
    public void Read_LegacyInstanceDeleteEnd_ServerGone(string envelope)
    {
        var (_, changes) = Read(Wrap(envelope, Oslo.LegacyInstance("compute.instance.delete.end", "vm-7", "tenant-b", "compute-1", state: "deleted")));

        Assert.Equal(new CloudChange.ServerGone("vm-7"), Assert.Single(changes));
    }

    // ---- Neutron ---------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("port.create.end")]
    [InlineData("port.update.end")]
    public void Read_PortEnd_PortSeenWithBindingHostAndDevice(string eventType)
    {
        var (_, changes) = Read(Oslo.V2(Oslo.Port(eventType, "port-1", "vm-1", "tenant-a", "compute-1", status: "DOWN")));

        Assert.Equal(new CloudChange.PortSeen("port-1", "vm-1", "tenant-a", "compute-1", "net-1", "DOWN"), Assert.Single(changes));
    }

    [Theory]
    [InlineData("network:dhcp")]
    [InlineData("network:router_interface")]
    [InlineData("network:floatingip")]
    public void Read_PortOfANetworkDevice_Nothing(string owner)
    {
        var (_, changes) = Read(Oslo.V2(Oslo.Port("port.create.end", "port-9", "router-1", "tenant-a", "net-node", owner)));

        Assert.Empty(changes);
    }

    [Fact]
    public void Read_PortCreateStart_Nothing()
    {
        var (_, changes) = Read(Oslo.V2(Oslo.Port("port.create.start", "port-1", "vm-1", "tenant-a", "compute-1")));

        Assert.Empty(changes);
    }

    [Theory]
    [MemberData(nameof(Envelopes))]
    public void Read_PortDeleteEnd_PortGone(string envelope)
    {
        var (_, changes) = Read(Wrap(envelope, Oslo.PortDelete("port-1")));

        Assert.Equal(new CloudChange.PortGone("port-1"), Assert.Single(changes));
    }

    [Fact]
    public void Read_PortDeleteStart_Nothing() =>
        Assert.Empty(Read(Oslo.V2(Oslo.Message("port.delete.start", new JsonObject { ["port_id"] = "port-1" }))).Changes);

    [Theory]
    [InlineData("compute.instance.exists")]
    [InlineData("network.create.end")]
    [InlineData("image.upload")]
    [InlineData("instance.power_off.end.extra")]
    public void Read_OtherEvents_ChangeNothingHarmful(string eventType)
    {
        var (type, changes) = Read(Oslo.V2(Oslo.Message(eventType, new JsonObject { ["id"] = "x" })));

        Assert.Equal(eventType, type);
        Assert.DoesNotContain(changes, c => c is CloudChange.ServerGone or CloudChange.PortGone);
    }

    // ---- hostile bodies --------------------------------------------------------------------------------------------

    public static TheoryData<string> HostileNames => [.. Hostile.Keys];

    private static readonly Dictionary<string, byte[]> Hostile = BuildHostile();

    private static Dictionary<string, byte[]> BuildHostile()
    {
        static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
        static byte[] Envelope(string inner) => B(new JsonObject { ["oslo.version"] = "2.0", ["oslo.message"] = inner }.ToJsonString());
        static byte[] Payload(string eventType, string payloadJson) => B($$"""{"event_type":"{{eventType}}","payload":{{payloadJson}}}""");
        var huge = new string('x', 1 << 20);
        return new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            ["empty"] = [],
            ["whitespace"] = B("  \n "),
            ["not json"] = B("hello rabbit"),
            ["truncated"] = B("{\"oslo.version\":\"2.0\",\"oslo.mess"),
            ["binary"] = [0x00, 0xFF, 0xFE, 0x10, 0x80],
            ["json null"] = B("null"),
            ["json number"] = B("42"),
            ["json string"] = B("\"instance.update\""),
            ["json true"] = B("true"),
            ["json array"] = B("[{\"event_type\":\"instance.update\"}]"),
            ["empty object"] = B("{}"),
            ["oslo.message number"] = B("{\"oslo.version\":\"2.0\",\"oslo.message\":5}"),
            ["oslo.message object"] = B("{\"oslo.version\":\"2.0\",\"oslo.message\":{\"event_type\":\"instance.delete.end\"}}"),
            ["oslo.message not json"] = Envelope("{not json"),
            ["oslo.message array"] = Envelope("[1,2,3]"),
            ["oslo.message string"] = Envelope("\"port.delete.end\""),
            ["oslo.message null"] = Envelope("null"),
            ["oslo.message nested envelope"] = Envelope(new JsonObject { ["oslo.version"] = "2.0", ["oslo.message"] = "{}" }.ToJsonString()),
            ["event_type number"] = B("{\"event_type\":7,\"payload\":{\"port_id\":\"p\"}}"),
            ["event_type object"] = B("{\"event_type\":{\"a\":1},\"payload\":{}}"),
            ["event_type missing"] = B("{\"payload\":{\"port_id\":\"port-1\"}}"),
            ["duplicate event_type"] = B("{\"event_type\":\"port.delete.end\",\"event_type\":\"port.delete.end\",\"payload\":{\"port_id\":\"port-x\"}}"),
            ["duplicate payload key"] = Payload("port.delete.end", "{\"port_id\":\"port-x\",\"port_id\":\"port-y\"}"),
            ["payload array"] = Payload("instance.update", "[1]"),
            ["payload string"] = Payload("instance.delete.end", "\"vm-1\""),
            ["payload number"] = Payload("port.delete.end", "1"),
            ["payload null"] = Payload("instance.delete.end", "null"),
            ["nova_object.data string"] = Payload("instance.delete.end", "{\"nova_object.data\":\"vm-1\"}"),
            ["nova_object.data array"] = Payload("instance.update", "{\"nova_object.data\":[{\"uuid\":\"vm-1\"}]}"),
            ["uuid object"] = Payload("instance.delete.end", "{\"nova_object.data\":{\"uuid\":{\"id\":\"vm-1\"}}}"),
            ["uuid number"] = Payload("instance.delete.end", "{\"nova_object.data\":{\"uuid\":1}}"),
            ["state number"] = Payload("instance.update", "{\"nova_object.data\":{\"uuid\":\"vm-evil\",\"state\":3,\"host\":[\"a\"]}}"),
            ["legacy instance_id list"] = Payload("compute.instance.delete.end", "{\"instance_id\":[\"vm-1\"]}"),
            ["service disabled string"] = Payload("service.update", "{\"nova_object.data\":{\"host\":\"h/1\",\"binary\":\"nova-compute\",\"disabled\":\"yes\",\"forced_down\":1}}"),
            ["service host object"] = Payload("service.update", "{\"nova_object.data\":{\"host\":{\"a\":1},\"binary\":\"nova-compute\"}}"),
            ["port array"] = Payload("port.create.end", "{\"port\":[{\"id\":\"port-1\"}]}"),
            ["port id number"] = Payload("port.update.end", "{\"port\":{\"id\":5}}"),
            ["port fields wrong kinds"] = Payload("port.update.end", "{\"port\":{\"id\":\"port-evil\",\"device_owner\":[\"compute:nova\"],\"binding:host_id\":{},\"status\":false}}"),
            ["port_id object"] = Payload("port.delete.end", "{\"port_id\":{\"id\":\"port-1\"}}"),
            ["port in delete not object"] = Payload("port.delete.end", "{\"port\":\"port-1\"}"),
            ["deep nesting"] = B(string.Concat(Enumerable.Repeat("{\"a\":", 5000)) + "1" + new string('}', 5000)),
            ["deep nesting in oslo.message"] = Envelope(string.Concat(Enumerable.Repeat("[", 5000)) + new string(']', 5000)),
            ["deep payload"] = Payload("instance.update", string.Concat(Enumerable.Repeat("{\"nova_object.data\":", 100)) + "{}" + new string('}', 100)),
            ["invalid utf8 in id"] = [.. B("{\"event_type\":\"port.delete.end\",\"payload\":{\"port_id\":\"a"), 0xC3, 0x28, .. B("\"}}")],
            ["invalid utf8 in event_type"] = [.. B("{\"event_type\":\"port.del"), 0xFF, .. B("\",\"payload\":{\"port_id\":\"a\"}}")],
            ["lone surrogate id"] = Payload("instance.update", "{\"nova_object.data\":{\"uuid\":\"vm-\\ud800\",\"host\":\"compute-1\"}}"),
            ["control chars id"] = Payload("instance.update", "{\"nova_object.data\":{\"uuid\":\"vm-\\u0000-1\",\"host\":\"compute-1\"}}"),
            ["huge id"] = Payload("instance.update", "{\"nova_object.data\":{\"uuid\":\"" + huge + "\",\"host\":\"compute-1\"}}"),
            ["huge host"] = Payload("instance.update", "{\"nova_object.data\":{\"uuid\":\"vm-new\",\"host\":\"" + huge + "\"}}"),
            ["huge port id"] = Payload("port.update.end", "{\"port\":{\"id\":\"" + huge + "\",\"device_id\":\"vm-1\",\"device_owner\":\"compute:nova\"}}"),
            ["huge service host"] = Payload("service.update", "{\"nova_object.data\":{\"host\":\"" + huge + "\",\"binary\":\"nova-compute\"}}"),
            ["slash server id"] = Payload("instance.update", "{\"nova_object.data\":{\"uuid\":\"../vm-1\",\"host\":\"compute-1\"}}"),
            ["slash host"] = Payload("instance.update", "{\"nova_object.data\":{\"uuid\":\"vm-new\",\"host\":\"rack/1\"}}"),
            ["slash port id"] = Payload("port.update.end", "{\"port\":{\"id\":\"a/b\",\"device_id\":\"vm-1\",\"device_owner\":\"compute:nova\"}}"),
            ["slash service host"] = Payload("service.update", "{\"nova_object.data\":{\"host\":\"a/b\",\"binary\":\"nova-compute\",\"disabled\":true}}"),
            ["dot-dot service host"] = Payload("service.update", "{\"nova_object.data\":{\"host\":\"..\",\"binary\":\"nova-compute\"}}"),
            ["dot server id"] = Payload("instance.create.end", "{\"nova_object.data\":{\"uuid\":\".\",\"host\":\"compute-1\"}}"),
            ["huge number"] = Payload("service.update", "{\"nova_object.data\":{\"host\":\"compute-1\",\"binary\":\"nova-compute\",\"disabled\":1e999,\"forced_down\":" + new string('9', 5000) + "}}"),
            ["nan"] = B("{\"event_type\":\"instance.update\",\"payload\":NaN}"),
        };
    }

    [Theory]
    [MemberData(nameof(HostileNames))]
    public void Read_HostileBody_NeverThrowsAndChangesNothingInTheMap(string name)
    {
        var before = Seeded();
        var editor = new StateEditor(before, Start);

        var (_, changes) = OsloNotification.Read(Hostile[name]);
        foreach (var change in changes)
            MapSync.Apply(editor.Map, change, Start.AddMinutes(1));

        Assert.Empty(editor.Changes);
    }

    [Fact]
    public void Read_MessageOfAHostileBody_IsStillReadAfterwards()
    {
        // A bad message must not poison anything shared: the next good one is read as ever.
        foreach (var body in Hostile.Values)
            _ = OsloNotification.Read(body);

        Assert.Equal(new CloudChange.PortGone("port-1"), Assert.Single(Read(Oslo.V2(Oslo.PortDelete("port-1"))).Changes));
    }

    [Fact]
    public void Read_HugeDisplayName_IsCutToAnIdentifier()
    {
        var editor = new StateEditor(Seeded(), Start);
        var (_, changes) = Read(Oslo.V2(Oslo.Instance("instance.update", "vm-long", "tenant-a", "compute-1", name: new string('n', 300) + "\u00e9")));

        MapSync.Apply(editor.Map, Assert.Single(changes), Start);

        Assert.Equal(255, editor.Map.Server("vm-long")!.Name!.Length);
    }

    [Theory]
    [InlineData("web\u0000one")]
    [InlineData("web\u0007one")]
    [InlineData("lone-surrogate")]
    public void Apply_DisplayNameNoIdentifierAccepts_KeepsTheKnownName(string name)
    {
        if (name == "lone-surrogate")
            name = "\ud800web"; // built here: an attribute cannot hold a lone surrogate (the compiler writes U+FFFD)

        // The API refuses such a name (400), so the sync must not store one either.
        var editor = new StateEditor(Seeded(), Start);

        MapSync.Apply(editor.Map, new CloudChange.ServerSeen("vm-1", name, "tenant-a", "compute-1"), Start);

        Assert.Equal("vm-1-name", editor.Map.Server("vm-1")!.Name);
    }

    [Fact]
    public void Apply_HugeDisplayNameOfSurrogatePairs_NeverCutInsideAPair()
    {
        var editor = new StateEditor(Seeded(), Start);
        var name = string.Concat(Enumerable.Repeat("\U0001F600", 200)); // 400 UTF-16 units, each emoji a pair

        MapSync.Apply(editor.Map, new CloudChange.ServerSeen("vm-emoji", name, "tenant-a", "compute-1"), Start);

        var stored = editor.Map.Server("vm-emoji")!.Name!;
        Assert.True(Doctor.Serialization.Fields.IsIdentifier(stored), "the stored name is an identifier");
        Assert.True(stored.Length <= 255);
    }

    internal static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A map as the sync left it: compute-1 with vm-1 (tenant-a) and its port-1.</summary>
    internal static DoctorState Seeded()
    {
        var marked = System.Collections.Immutable.ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
            [KeyValuePair.Create(MapSync.SourceKey, MapSync.Source), KeyValuePair.Create(MapSync.ServiceIdKey, "svc-compute-1")]);
        var serverMark = System.Collections.Immutable.ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(MapSync.SourceKey, MapSync.Source)]);
        return DoctorState.Empty with
        {
            Map = ResourceMap.From(
                [new Host { Name = "compute-1", Zone = "nova", Metadata = marked, UpdatedAt = Start }],
                [new Server { Id = "vm-1", Name = "vm-1-name", ProjectId = "tenant-a", Host = "compute-1", Metadata = serverMark, UpdatedAt = Start }],
                [new Port { Id = "port-1", ServerId = "vm-1", ProjectId = "tenant-a", Host = "compute-1", NetworkId = "net-1", DataPlaneUp = true, UpdatedAt = Start }]),
        };
    }
}
