namespace Doctor.Maintenance;

/// <summary>A maintenance request refused on the writer thread; the API answers <see cref="Status"/> naming <see cref="Field"/>.</summary>
public sealed class MaintenanceRequestException(int status, string? field, string detail) : Exception(detail)
{
    public int Status { get; } = status;
    public string? Field { get; } = field;

    public static MaintenanceRequestException BadRequest(string field, string detail) => new(400, field, detail);
    public static MaintenanceRequestException NotFound(string what) => new(404, null, $"{what} was not found");
    public static MaintenanceRequestException Conflict(string detail) => new(409, null, detail);
}
