using Doctor.Inspection;
using Doctor.Notification;
using Doctor.Server.Hosting;
using Doctor.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Doctor.Server.Tests.Hosting;

/// <summary>The start-up warm-up runs the whole fault path on scratch data and leaves nothing behind.</summary>
public sealed class WarmupTests
{
    [Fact]
    public async Task Run_FaultAndItsClearing_BothPostedOverHttpToItsOwnResponder()
    {
        var warmup = new Warmup(new PolicySource(FailurePolicy.Default), new DeliveryOptions(), TimeProvider.System, NullLogger<Warmup>.Instance);

        Assert.Equal(2, await warmup.RunAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Start_WithWarmUp_StateEventsAndSubscriptionsUntouched()
    {
        await using var doctor = await DoctorHost.StartAsync(configure: o => o.WarmUp = true);

        Assert.Empty((await doctor.GetJsonAsync("/v1/hosts")).GetProperty("hosts").EnumerateArray());
        Assert.Empty((await doctor.GetJsonAsync("/v1/servers")).GetProperty("servers").EnumerateArray());
        Assert.Empty((await doctor.GetJsonAsync("/v1/faults")).GetProperty("faults").EnumerateArray());
        Assert.Empty((await doctor.GetJsonAsync("/v1/events")).GetProperty("events").EnumerateArray());
        Assert.Empty((await doctor.GetJsonAsync("/v1/subscriptions")).GetProperty("subscriptions").EnumerateArray());
    }
}
