// Types of demo-traffic.mjs, for the unit test (test/unit/demo-traffic.test.ts). The bodies are
// declared as the services' request types (declared only: the .mjs itself is not type-checked).
import type { PlaceOrderRequest } from '../../services/order-service/src/order';
import type { RegisterUserRequest } from '../../services/user-service/src/user';

export interface DemoCustomer {
  id: string;
  name: string;
}

export interface DemoService {
  ready(): Promise<boolean>;
  post(path: string, body: unknown): Promise<{ status: number; body: unknown } | undefined>;
}

export const DEMO_USERS: readonly string[];
export function demoRegistrations(stamp?: string): Required<RegisterUserRequest>[];
export function demoOrder(customer: DemoCustomer): PlaceOrderRequest;
export function sendDemoTraffic(options: {
  userService: DemoService;
  orderService: DemoService;
  log?: (line: string) => void;
  stamp?: string;
}): Promise<{ customers: DemoCustomer[]; order?: { id: string } }>;
