export type Json =
  | string
  | number
  | boolean
  | null
  | { [key: string]: Json | undefined }
  | Json[]

export type Database = {
  // Allows to automatically instantiate createClient with right options
  // instead of createClient<Database, { PostgrestVersion: 'XX' }>(URL, KEY)
  __InternalSupabase: {
    PostgrestVersion: "13.0.5"
  }
  public: {
    Tables: {
      input_images: {
        Row: {
          bytes: number | null
          content_type: string
          created_at: string
          height: number | null
          id: string
          last_used_at: string | null
          status: string
          storage_path: string
          user_id: string
          width: number | null
        }
        Insert: {
          bytes?: number | null
          content_type: string
          created_at?: string
          height?: number | null
          id: string
          last_used_at?: string | null
          status?: string
          storage_path: string
          user_id: string
          width?: number | null
        }
        Update: {
          bytes?: number | null
          content_type?: string
          created_at?: string
          height?: number | null
          id?: string
          last_used_at?: string | null
          status?: string
          storage_path?: string
          user_id?: string
          width?: number | null
        }
        Relationships: []
      }
      prediction_inputs: {
        Row: { input_id: string; name: string; prediction_id: string; user_id: string }
        Insert: { input_id: string; name: string; prediction_id: string; user_id: string }
        Update: { input_id?: string; name?: string; prediction_id?: string; user_id?: string }
        Relationships: [
          {
            foreignKeyName: "prediction_inputs_input_id_fkey"
            columns: ["input_id"]
            isOneToOne: false
            referencedRelation: "input_images"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "prediction_inputs_prediction_id_user_id_fkey"
            columns: ["prediction_id", "user_id"]
            isOneToOne: false
            referencedRelation: "predictions"
            referencedColumns: ["id", "user_id"]
          },
        ]
      }
      model_aliases: {
        Row: { checked_at: string; key: string; model: string; version: string }
        Insert: { checked_at?: string; key: string; model: string; version: string }
        Update: { checked_at?: string; key?: string; model?: string; version?: string }
        Relationships: []
      }
      model_versions: {
        Row: { fetched_at: string; openapi_schema: Json; ref: string }
        Insert: { fetched_at?: string; openapi_schema: Json; ref: string }
        Update: { fetched_at?: string; openapi_schema?: Json; ref?: string }
        Relationships: []
      }
      predictions: {
        Row: {
          model_key: string | null
          progress: number | null
          logs_length: number
          output: Json | null
          heard_at: string | null
          next_read_at: string | null
          deleted_outputs: number[]
          model_name: string
          output_count: number
          seed: number | null
          started_at: string | null
          completed_at: string | null
          created_at: string
          error: string | null
          id: string
          input: Json
          model: string
          status: string
          user_id: string
        }
        Insert: {
          model_key?: string | null
          progress?: number | null
          logs_length?: number
          output?: Json | null
          heard_at?: string | null
          next_read_at?: string | null
          deleted_outputs?: number[]
          model_name: string
          output_count?: number
          seed?: number | null
          started_at?: string | null
          completed_at?: string | null
          created_at?: string
          error?: string | null
          id: string
          input: Json
          model: string
          status: string
          user_id: string
        }
        Update: {
          model_key?: string | null
          progress?: number | null
          logs_length?: number
          output?: Json | null
          heard_at?: string | null
          next_read_at?: string | null
          deleted_outputs?: number[]
          model_name?: string
          output_count?: number
          seed?: number | null
          started_at?: string | null
          completed_at?: string | null
          created_at?: string
          error?: string | null
          id?: string
          input?: Json
          model?: string
          status?: string
          user_id?: string
        }
        Relationships: []
      }
      prediction_reservations: {
        Row: { created_at: string; expires_at: string; id: string; user_id: string }
        Insert: { created_at?: string; expires_at: string; id?: string; user_id: string }
        Update: { created_at?: string; expires_at?: string; id?: string; user_id?: string }
        Relationships: []
      }
      webhook_inbox: {
        Row: { body: Json; prediction_id: string; received_at: string; webhook_id: string }
        Insert: { body: Json; prediction_id: string; received_at?: string; webhook_id: string }
        Update: { body?: Json; prediction_id?: string; received_at?: string; webhook_id?: string }
        Relationships: []
      }
      sdxl_images: {
        Row: {
          model_name: string
          output_index: number
          seed: number | null
          bytes: number
          content_type: string
          created_at: string
          height: number
          id: string
          input: Json
          model: string
          prediction_id: string
          prompt: string
          storage_path: string
          user_id: string
          width: number
        }
        Insert: {
          model_name: string
          output_index?: number
          seed?: number | null
          bytes: number
          content_type: string
          created_at?: string
          height: number
          id?: string
          input: Json
          model: string
          prediction_id: string
          prompt: string
          storage_path: string
          user_id: string
          width: number
        }
        Update: {
          model_name?: string
          output_index?: number
          seed?: number | null
          bytes?: number
          content_type?: string
          created_at?: string
          height?: number
          id?: string
          input?: Json
          model?: string
          prediction_id?: string
          prompt?: string
          storage_path?: string
          user_id?: string
          width?: number
        }
        Relationships: [
          {
            foreignKeyName: "sdxl_images_prediction_id_fkey"
            columns: ["prediction_id"]
            isOneToOne: false
            referencedRelation: "predictions"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "sdxl_images_prediction_id_user_id_fkey"
            columns: ["prediction_id", "user_id"]
            isOneToOne: false
            referencedRelation: "predictions"
            referencedColumns: ["id", "user_id"]
          },
        ]
      }
    }
    Views: {
      [_ in never]: never
    }
    Functions: {
      auth_throttle_forget: {
        Args: { p_ids: number[] }
        Returns: undefined
      }
      auth_throttle_record: {
        Args: {
          p_address?: string
          p_at: string
          p_email?: string
          p_forget_before: string
          p_keys: string[]
          p_known_since?: string
          p_limit: number
          p_since: string
        }
        Returns: Json
      }
      auth_throttle_succeeded: {
        Args: {
          p_address: string | null
          p_at: string
          p_clear_key: string
          p_email: string | null
          p_ids: number[]
          p_known_forget_before: string
        }
        Returns: undefined
      }
      release_prediction_reservation: {
        Args: { p_id: string }
        Returns: undefined
      }
      reserve_prediction: {
        Args: { p_concurrent: number; p_per_minute: number }
        Returns: Json
      }
    }
    Enums: {
      [_ in never]: never
    }
    CompositeTypes: {
      [_ in never]: never
    }
  }
}

type DatabaseWithoutInternals = Omit<Database, "__InternalSupabase">

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] &
        DefaultSchema["Views"])
    ? (DefaultSchema["Tables"] &
        DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
        Row: infer R
      }
      ? R
      : never
    : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Insert: infer I
      }
      ? I
      : never
    : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Update: infer U
      }
      ? U
      : never
    : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never = never,
> = DefaultSchemaEnumNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
    ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
    : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never = never,
> = PublicCompositeTypeNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
    ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
    : never

export const Constants = {
  public: {
    Enums: {},
  },
} as const
