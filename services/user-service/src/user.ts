/** A registered user, as stored and as returned by the API. */
export interface User {
  id: string;
  email: string;
  name: string;
  marketingConsent: boolean;
  locale: string;
  createdAt: string;
}

/** The body of POST /users after schema validation. */
export interface RegisterUserRequest {
  email: string;
  name: string;
  marketingConsent?: boolean;
  locale?: string;
}
