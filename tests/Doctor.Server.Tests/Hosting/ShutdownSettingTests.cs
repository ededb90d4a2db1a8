using Doctor.Server.Hosting;
using Doctor.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Doctor.Server.Tests.Hosting;

/// <summary><c>Doctor:ShutdownDrainSeconds</c>: validated at start, and the host's own stop timeout leaves room for it.</summary>
public sealed class ShutdownSettingTests
{
    [Theory]
    [InlineData(-1)]
    [InlineData(3601)]
    public void Create_DrainOutOfRange_StartFailsNamingIt(int seconds)
    {
        using var dir = new TempDirectory();

        var error = Assert.Throws<OptionsValidationException>(() => DoctorApp.Create([], o =>
        {
            o.DataDir = dir.Path;
            o.ShutdownDrainSeconds = seconds;
        }));

        Assert.Contains("Doctor:ShutdownDrainSeconds", error.Message);
    }

    [Fact]
    public async Task Create_Drain_HostStopTimeoutIsLonger()
    {
        using var dir = new TempDirectory();
        await using var app = DoctorApp.Create([], o =>
        {
            o.DataDir = dir.Path;
            o.ShutdownDrainSeconds = 45;
        });

        var host = app.Services.GetRequiredService<IOptions<HostOptions>>().Value;
        Assert.True(host.ShutdownTimeout > TimeSpan.FromSeconds(45), $"host stop timeout {host.ShutdownTimeout}");
    }
}
