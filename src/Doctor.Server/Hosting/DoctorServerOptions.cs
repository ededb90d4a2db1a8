using Doctor.Notification;

namespace Doctor.Server.Hosting;

/// <summary>Settings of <c>doctor serve</c> (section <c>Doctor</c>, or the flags and DOCTOR_* variables).</summary>
public sealed class DoctorServerOptions
{
    /// <summary>Where the SQLite store lives. Default <c>./doctor-data</c>; env <c>DOCTOR_DATA_DIR</c>.</summary>
    public string DataDir { get; set; } = DoctorConstants.DefaultDataDir;

    /// <summary>Listen addresses. Default <c>http://127.0.0.1:12345</c>; env <c>DOCTOR_URLS</c>.</summary>
    public string Urls { get; set; } = DoctorConstants.DefaultUrls;

    /// <summary>The first admin token; env <c>DOCTOR_ADMIN_TOKEN</c>. When unset on the first start one is generated and printed once.</summary>
    public string? AdminToken { get; set; }

    /// <summary>Cleared faults kept in memory and in the store before the oldest are dropped. Default 50,000.</summary>
    public int ClearedFaultsKept { get; set; } = DoctorConstants.ClearedFaultsKept;

    /// <summary>Webhook delivery (section <c>Doctor:Delivery</c>).</summary>
    public DeliveryOptions Delivery { get; set; } = new();
}
