// The AWS provider's cloud port: the only code that calls the EC2 API. Handlers receive it as
// `ctx.cloud`, so tests can wrap it (call counting, crash injection). Credentials, region and
// endpoint come from the SDK's standard chain (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL[_EC2], IMDS,
// web identity …); a handler only names the region an AWSCluster asks for.
import type {
  AvailabilityZone,
  EC2Client,
  EC2ClientConfig,
  Filter,
  Image,
  Instance,
  InstanceStateChange,
  InstanceTypeInfo,
  Region,
  RunInstancesCommandInput,
  SecurityGroup,
  Subnet,
  Vpc,
} from '@aws-sdk/client-ec2';

// The SDK loads on the first call, not at import: the drift and bridge functions import the provider's handler
// declarations for their watches and never call EC2, and a cold start should not pay for it.
let sdkModule: Promise<typeof import('@aws-sdk/client-ec2')> | undefined;
const sdk = () => (sdkModule ??= import('@aws-sdk/client-ec2'));

/** A region name, or undefined for the SDK chain's default region. */
export type RegionName = string | undefined;

export interface Ec2Api {
  /** The region as DescribeRegions reports it; undefined when the endpoint does not know it. */
  describeRegion(region: RegionName): Promise<Region | undefined>;
  describeAvailabilityZones(region: RegionName): Promise<AvailabilityZone[]>;
  describeVpcs(region: RegionName, vpcIds: string[]): Promise<Vpc[]>;
  describeSubnets(region: RegionName, q: { subnetIds?: string[]; filters?: Filter[] }): Promise<Subnet[]>;
  describeSecurityGroups(region: RegionName, q: { groupIds?: string[]; filters?: Filter[] }): Promise<SecurityGroup[]>;
  describeImages(region: RegionName, imageIds: string[]): Promise<Image[]>;
  /** The instance types offered in the region among `types` (EC2 answers InvalidInstanceType for unknown ones). */
  describeInstanceTypes(region: RegionName, types: string[]): Promise<InstanceTypeInfo[]>;
  describeInstances(region: RegionName, q: { instanceIds?: string[]; filters?: Filter[] }): Promise<Instance[]>;
  runInstances(region: RegionName, input: RunInstancesCommandInput): Promise<Instance>;
  terminateInstances(region: RegionName, instanceIds: string[]): Promise<InstanceStateChange[]>;
  /** The VPC's DHCP option set `domain-name`, when it has one. */
  dhcpDomainName(region: RegionName, vpcId: string): Promise<string | undefined>;
}

export interface Ec2CloudOptions {
  /** Extra SDK client configuration; the standard chain supplies everything not given here. */
  clientConfig?: EC2ClientConfig;
}

export class Ec2Cloud implements Ec2Api {
  private readonly clients = new Map<string, Promise<EC2Client>>();
  private readonly config: EC2ClientConfig;

  constructor(opts: Ec2CloudOptions = {}) {
    // Adaptive retries add client-side rate limiting on top of backoff when EC2 throttles
    // (RequestLimitExceeded), the closest the SDK has to CAPA's per-operation token buckets.
    this.config = { retryMode: 'adaptive', maxAttempts: 5, ...(opts.clientConfig ?? {}) };
  }

  private client(region: RegionName): Promise<EC2Client> {
    const key = region ?? '';
    // The promise is cached, not the client: two first calls for a region must share one client (and its
    // adaptive-retry rate limiter) rather than race to build two.
    let c = this.clients.get(key);
    if (!c) {
      c = sdk().then(({ EC2Client }) => new EC2Client(region ? { ...this.config, region } : this.config));
      this.clients.set(key, c);
    }
    return c;
  }

  async describeRegion(region: RegionName): Promise<Region | undefined> {
    const r = await (await this.client(region)).send(
      new (await sdk()).DescribeRegionsCommand({ AllRegions: true, ...(region ? { RegionNames: [region] } : {}) }),
    );
    const name = region ?? (await (await this.client(region)).config.region());
    return r.Regions?.find((x) => x.RegionName === name);
  }

  async describeAvailabilityZones(region: RegionName): Promise<AvailabilityZone[]> {
    const r = await (await this.client(region)).send(new (await sdk()).DescribeAvailabilityZonesCommand({}));
    return r.AvailabilityZones ?? [];
  }

  async describeVpcs(region: RegionName, vpcIds: string[]): Promise<Vpc[]> {
    const r = await (await this.client(region)).send(new (await sdk()).DescribeVpcsCommand({ VpcIds: vpcIds }));
    return r.Vpcs ?? [];
  }

  async describeSubnets(region: RegionName, q: { subnetIds?: string[]; filters?: Filter[] }): Promise<Subnet[]> {
    const out: Subnet[] = [];
    for await (const page of (await sdk()).paginateDescribeSubnets(
      { client: await this.client(region) },
      { ...(q.subnetIds ? { SubnetIds: q.subnetIds } : {}), ...(q.filters ? { Filters: q.filters } : {}) },
    )) {
      out.push(...(page.Subnets ?? []));
    }
    return out;
  }

  async describeSecurityGroups(
    region: RegionName,
    q: { groupIds?: string[]; filters?: Filter[] },
  ): Promise<SecurityGroup[]> {
    const out: SecurityGroup[] = [];
    for await (const page of (await sdk()).paginateDescribeSecurityGroups(
      { client: await this.client(region) },
      { ...(q.groupIds ? { GroupIds: q.groupIds } : {}), ...(q.filters ? { Filters: q.filters } : {}) },
    )) {
      out.push(...(page.SecurityGroups ?? []));
    }
    return out;
  }

  async describeImages(region: RegionName, imageIds: string[]): Promise<Image[]> {
    const r = await (await this.client(region)).send(new (await sdk()).DescribeImagesCommand({ ImageIds: imageIds }));
    return r.Images ?? [];
  }

  async describeInstanceTypes(region: RegionName, types: string[]): Promise<InstanceTypeInfo[]> {
    const r = await (await this.client(region)).send(
      new (await sdk()).DescribeInstanceTypesCommand({ InstanceTypes: types as never[] }),
    );
    return r.InstanceTypes ?? [];
  }

  async describeInstances(region: RegionName, q: { instanceIds?: string[]; filters?: Filter[] }): Promise<Instance[]> {
    const out: Instance[] = [];
    for await (const page of (await sdk()).paginateDescribeInstances(
      { client: await this.client(region) },
      { ...(q.instanceIds ? { InstanceIds: q.instanceIds } : {}), ...(q.filters ? { Filters: q.filters } : {}) },
    )) {
      for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
    }
    return out;
  }

  async runInstances(region: RegionName, input: RunInstancesCommandInput): Promise<Instance> {
    const r = await (await this.client(region)).send(new (await sdk()).RunInstancesCommand(input));
    const inst = r.Instances?.[0];
    if (!inst?.InstanceId) throw new Error('RunInstances returned no instance');
    return inst;
  }

  async terminateInstances(region: RegionName, instanceIds: string[]): Promise<InstanceStateChange[]> {
    const r = await (await this.client(region)).send(
      new (await sdk()).TerminateInstancesCommand({ InstanceIds: instanceIds }),
    );
    return r.TerminatingInstances ?? [];
  }

  async dhcpDomainName(region: RegionName, vpcId: string): Promise<string | undefined> {
    const vpc = (await this.describeVpcs(region, [vpcId]))[0];
    const id = vpc?.DhcpOptionsId;
    if (!id || id === 'default') return undefined;
    const r = await (await this.client(region)).send(
      new (await sdk()).DescribeDhcpOptionsCommand({ DhcpOptionsIds: [id] }),
    );
    const conf = r.DhcpOptions?.[0]?.DhcpConfigurations?.find((c) => c.Key === 'domain-name');
    return conf?.Values?.[0]?.Value;
  }

  /** Closes the HTTP connections (tests, and `capi-fn up` on exit). */
  destroy(): void {
    for (const c of this.clients.values()) void c.then((client) => client.destroy());
    this.clients.clear();
  }
}
