"""The tutorial's Architecture API (`/api/v2/architect/flows`): the client, the three-way merge, the
wire objects and `ArchitectureApiPlatform`, the `base.Platform` over the client."""
