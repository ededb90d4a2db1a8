using System.Text.Json;
using Doctor.Faults;
using Doctor.Serialization;
using Doctor.Subscriptions;

namespace Doctor.Core.Tests.Serialization;

public class DoctorJsonTests
{
    private sealed record Sample(string ResourceId, NotificationType NotificationType, Severity MinSeverity);

    [Fact]
    public void Serialize_PropertiesAndEnums_AreSnakeCase()
    {
        var json = JsonSerializer.Serialize(new Sample("vm-1", NotificationType.FaultCleared, Severity.Critical), DoctorJson.Options);

        Assert.Equal("""{"resource_id":"vm-1","notification_type":"fault_cleared","min_severity":"critical"}""", json);
    }

    [Fact]
    public void Deserialize_IntegerForAnEnum_Refused()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Sample>("""{"resource_id":"x","notification_type":1,"min_severity":"major"}""", DoctorJson.Options));
    }

    [Fact]
    public void Deserialize_NestingDeeperThan32_Refused()
    {
        var deep = string.Concat(Enumerable.Repeat("[", 40)) + string.Concat(Enumerable.Repeat("]", 40));

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<JsonElement>(deep, DoctorJson.Options));
    }

    [Fact]
    public void Serialize_NonAsciiText_WrittenAsIs()
    {
        Assert.Equal("\"ホスト\"", JsonSerializer.Serialize("ホスト", DoctorJson.Options));
    }
}
