using System.Text.Json.Serialization;
using Doctor.Access;
using Doctor.Events;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.Maintenance;
using Doctor.Silences;
using Doctor.Subscriptions;

namespace Doctor.Storage;

/// <summary>
/// Source-generated JSON of the stored records: the writer thread serializes every changed row, so it must be
/// cheap. The store reads only what it wrote, so this format is private to it.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Host))]
[JsonSerializable(typeof(Server))]
[JsonSerializable(typeof(Port))]
[JsonSerializable(typeof(Device))]
[JsonSerializable(typeof(Fault))]
[JsonSerializable(typeof(Subscription))]
[JsonSerializable(typeof(Token))]
[JsonSerializable(typeof(Silence))]
[JsonSerializable(typeof(MaintenanceSession))]
[JsonSerializable(typeof(InstanceConstraint))]
[JsonSerializable(typeof(InstanceGroupConstraint))]
[JsonSerializable(typeof(RawEvent))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class StoreJson : JsonSerializerContext;
