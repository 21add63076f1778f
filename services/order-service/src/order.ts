import type { CancellationReason, OrderPlaced } from '@fanout/contracts';

export type Address = OrderPlaced['shippingAddress'];

export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'CANCELLED';

export interface OrderLine {
  sku: string;
  quantity: number;
  /** Minor units of the order currency (cents for EUR). */
  unitPriceMinor: number;
}

/** An order as stored. Money is kept in integer minor units; the API speaks major units. */
export interface Order {
  id: string;
  customerId: string;
  status: OrderStatus;
  items: OrderLine[];
  currency: string;
  totalMinor: number;
  shippingAddress: Address;
  cancellationReason: CancellationReason | null;
  createdAt: string;
  updatedAt: string;
}

/** The body of POST /orders after schema validation. */
export interface PlaceOrderRequest {
  customerId: string;
  items: { sku: string; quantity: number; unitPrice: number }[];
  currency: string;
  shippingAddress: {
    recipientName: string;
    line1: string;
    line2?: string;
    city: string;
    postalCode: string;
    region?: string;
    country: string;
  };
}
