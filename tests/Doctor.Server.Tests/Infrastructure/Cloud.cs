namespace Doctor.Server.Tests.Infrastructure;

/// <summary>
/// A small resource map shared by the tests: two projects with VMs on one host, one of them also elsewhere,
/// a VM without a project, and an empty host.
/// </summary>
public static class Cloud
{
    public const string Alpha = "proj-alpha";
    public const string Beta = "proj-beta";

    /// <summary>Host names are distinctive so that "the body does not contain the host name" means something.</summary>
    public const string Host1 = "compute-zulu-1";
    public const string Host2 = "compute-zulu-2";
    public const string Host3 = "compute-zulu-3";

    /// <summary>Lower-case hex SHA-224 of project_id + host, computed outside Doctor (Python hashlib).</summary>
    public const string AlphaHost1Id = "ad2e0306147b0a5d108d871e2ec5c67b5fd066d10ff5c6c5e2241d15";
    public const string BetaHost1Id = "c5c27bac11dcb7c1122ff7ad78be337ca00a26a227dfdb29d22c2a3e";
    public const string AlphaHost2Id = "d9bdb92486061f6eeb9fb4db2cb2bc4ecc2082715e84706ac354a913";

    public const string Inventory = """
        {
          "hosts": [
            {"name": "compute-zulu-1", "zone": "zone-a", "status": "enabled", "state": "up"},
            {"name": "compute-zulu-2", "zone": "zone-b", "status": "enabled", "state": "up"},
            {"name": "compute-zulu-3", "zone": "zone-a", "status": "enabled", "state": "up"}
          ],
          "servers": [
            {"id": "vm-a1", "name": "alpha-act", "project_id": "proj-alpha", "host": "compute-zulu-1", "group_id": "grp-alpha"},
            {"id": "vm-a2", "name": "alpha-db", "project_id": "proj-alpha", "host": "compute-zulu-1"},
            {"id": "vm-b1", "name": "beta-act", "project_id": "proj-beta", "host": "compute-zulu-1"},
            {"id": "vm-a3", "name": "alpha-stby", "project_id": "proj-alpha", "host": "compute-zulu-2", "group_id": "grp-alpha"},
            {"id": "vm-x1", "name": "infra", "host": "compute-zulu-2"}
          ],
          "ports": [
            {"id": "port-a1", "server_id": "vm-a1", "project_id": "proj-alpha", "host": "compute-zulu-1", "network_id": "net-1", "status": "ACTIVE", "data_plane_status": "ACTIVE"},
            {"id": "port-a2", "server_id": "vm-a2", "project_id": "proj-alpha", "host": "compute-zulu-1", "network_id": "net-1", "status": "ACTIVE", "data_plane_status": "ACTIVE"},
            {"id": "port-b1", "server_id": "vm-b1", "project_id": "proj-beta", "host": "compute-zulu-1", "network_id": "net-2", "status": "ACTIVE", "data_plane_status": "ACTIVE"},
            {"id": "port-a3", "server_id": "vm-a3", "project_id": "proj-alpha", "host": "compute-zulu-2", "network_id": "net-1", "status": "ACTIVE", "data_plane_status": "ACTIVE"}
          ]
        }
        """;
}
